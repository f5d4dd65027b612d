import { createRequire as __kaRequire } from 'node:module'; import { fileURLToPath as __kaPath } from 'node:url'; import { dirname as __kaDir } from 'node:path'; const require = __kaRequire(import.meta.url); const __filename = __kaPath(import.meta.url); const __dirname = __kaDir(__filename);
import{j as a,k as b}from"./chunk-UOVQ4TCT.js";export{b as clusterOf,a as findNodes};
