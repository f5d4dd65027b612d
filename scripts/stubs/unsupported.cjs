// Stands in for dependencies the bundle never uses: dockerode's ssh transport
// (ssh2) and its BuildKit session (gRPC). Loading them costs start-up time on
// every command, so the bundle carries this instead; using them fails clearly.
function unsupported() {
  throw new Error('kind-action does not support ssh:// Docker hosts or BuildKit sessions');
}
module.exports = unsupported;
module.exports.Client = unsupported;
