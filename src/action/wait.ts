import { run } from './run-wait.js';

await run();
