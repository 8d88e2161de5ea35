import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../shared/contract.js';
import type { HostStatus } from '../../shared/host-status.js';
import { FakeEngine, fakeSystemInfo } from '../../e2e/fixtures/browser.js';
import { EngineSlot } from './engine-slot.js';

function context(signal = new AbortController().signal): CallContext<never> {
  return { emit: () => true, drained: async () => {}, signal };
}

const READY: HostStatus = { kind: 'wsl', state: 'ready', message: 'ready' };
const NO_VIRTUALIZATION: HostStatus = { kind: 'wsl', state: 'virtualization-off', message: 'WSL2 cannot start.', fix: 'Turn on virtualization.' };

describe('the engine slot the transports serve while the host gets ready', () => {
  it('answers its status at once, and hands waiting calls to the engine once it is in', async () => {
    const slot = EngineSlot.starting('wsl');
    const heard: string[] = [];
    slot.on('event', (name) => heard.push(name));
    expect(await slot.api['system.status']({}, context())).toMatchObject({ state: 'importing' });
    const info = slot.api['system.info']({}, context());
    slot.setStatus({ kind: 'wsl', state: 'importing', message: 'Importing', progress: { step: 'Importing the distro', fraction: 0.5 } });
    const engine = new FakeEngine({ 'system.info': async () => fakeSystemInfo({ host: 'wsl' }) });
    slot.attach(engine, READY);
    expect(await info).toMatchObject({ host: 'wsl' });
    engine.emitEvent('images.changed', {});
    expect(heard).toEqual(['host.changed', 'host.changed', 'images.changed']);
    expect(await slot.api['system.status']({}, context())).toEqual(READY);
  });

  it('refuses waiting and later calls with the reason and fix when the host cannot be made ready', async () => {
    const slot = EngineSlot.starting('wsl');
    const waiting = slot.api['containers.list']({ all: false }, context());
    slot.fail(NO_VIRTUALIZATION);
    await expect(waiting).rejects.toMatchObject({ code: 'HOST_NOT_READY', message: 'WSL2 cannot start. Turn on virtualization.' });
    await expect(slot.api['images.list']({}, context())).rejects.toMatchObject({ code: 'HOST_NOT_READY' });
    expect(await slot.api['system.status']({}, context())).toEqual(NO_VIRTUALIZATION);
  });

  it('stops waiting for a caller that went away', async () => {
    const slot = EngineSlot.starting('local');
    const caller = new AbortController();
    const waiting = slot.api['containers.list']({ all: false }, context(caller.signal));
    caller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'HOST_NOT_READY' });
  });
});
