// Installs the built SDK package into a fresh project folder the way a user's project gets
// it: `npm pack` of pkg/ (only what package.json's `files` lists), then `npm install` of
// that tarball as a dependency. Other packages (vite, webpack, react, typescript) resolve
// from the repository's node_modules, above the project folder.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

let tarball;
function pack() {
  if (tarball) return tarball;
  const out = resolve('target/ecosystem');
  mkdirSync(out, { recursive: true });
  const name = execFileSync('npm', ['pack', './pkg', '--pack-destination', out, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  tarball = join(out, name);
  return tarball;
}

/** A fresh project at target/ecosystem/<name> with the files of `template` and the SDK installed. */
export function project(name, template) {
  const dir = resolve('target/ecosystem', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (template) cpSync(template, dir, { recursive: true });
  const tgz = pack();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: `chatix-${name}`, private: true, type: 'module', dependencies: { 'chatix-core': `file:${tgz}` },
  }, null, 2));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules/chatix-core/package.json'), 'utf8'));
  return { dir, version: installed.version };
}
