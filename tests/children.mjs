// Child processes that must not outlive the script that started them (servers, browsers,
// load generators): whatever way the script ends (normal end, process.exit, an uncaught
// error or rejected top-level await, SIGINT/SIGTERM/SIGHUP), every tracked child still
// running gets SIGKILL (its whole process group when it was spawned `detached`, e.g.
// Chromium and its renderers).
const live = new Set();

/** Registers `child`; `group`: it leads its own process group (spawned with detached: true). */
export function track(child, { group = false } = {}) {
  const entry = { child, group };
  live.add(entry);
  child.once('exit', () => live.delete(entry));
  return child;
}

/** SIGKILLs every tracked child still running (synchronous: safe in an `exit` handler). */
export function killAll() {
  for (const { child, group } of live) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      if (group) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch { /* already gone */ }
  }
  live.clear();
}

let installed = false;
function install() {
  if (installed) return;
  installed = true;
  // 'exit' runs on a normal end, on process.exit() and after an uncaught error.
  process.on('exit', killAll);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping ${live.size} child process(es)`);
      killAll();
      process.exit(code);
    });
  }
}
install();
