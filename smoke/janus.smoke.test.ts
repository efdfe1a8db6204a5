import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GroupProcess, type RunningParley, startParley } from './npm-start';

/**
 * The Janus that `npm start` starts for big calls (the Debian package, which CI installs) lives
 * and dies with it: a Parley killed outright (SIGKILL, the OOM killer) leaves no Janus behind
 * holding its media ports.
 */
let parley: RunningParley;

beforeAll(async () => {
  parley = await startParley();
});
afterAll(() => parley?.stop());

const isJanus = ({ argv }: GroupProcess) => argv.includes('--configs-folder');

it('a Parley killed with SIGKILL takes its Janus with it', async () => {
  const janus = parley.processes().find(isJanus);
  expect(janus, `no Janus under \`npm start\`; its output:\n${parley.output()}`).toBeDefined();

  parley.signalServer('SIGKILL');

  // The kernel kills it as its parent dies; /proc is looked at until it is gone, for at most 10 s.
  const deadline = Date.now() + 10_000;
  const alive = () => parley.processes().some((p) => p.pid === janus!.pid);
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const outlived = alive();
  // An orphan would outlive the suite too (nothing signals it when npm's group is seen to end).
  if (outlived) process.kill(janus!.pid, 'SIGKILL');
  expect(outlived, `Janus (pid ${janus!.pid}) outlived the server`).toBe(false);
});
