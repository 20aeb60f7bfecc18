import { describe, expect, it } from 'vitest';
import { createPeerChannels } from './peer-channels';

// Channels connect lazily: none of these dials an address.
describe('peer channels', () => {
  it('gives every call to one peer the same channel, whatever the call', () => {
    const channels = createPeerChannels({ token: 't', maxReceiveBytes: 1024 });
    const first = channels.of('10.0.0.1:7080');
    expect(channels.of('10.0.0.1:7080')).toBe(first);
    expect(channels.of('10.0.0.2:7080')).not.toBe(first);
    expect(channels.size).toBe(2);
    channels.close();
    expect(channels.size).toBe(0);
  });

  it('closes the channel of a replica that left the members, and opens a new one if it comes back', () => {
    const channels = createPeerChannels({ token: undefined, maxReceiveBytes: 1024 });
    const gone = channels.of('10.0.0.1:7080');
    const kept = channels.of('10.0.0.2:7080');
    channels.retain(['10.0.0.2:7080', '10.0.0.3:7080']);
    expect(channels.size).toBe(1);
    expect(channels.of('10.0.0.2:7080')).toBe(kept);
    expect(channels.of('10.0.0.1:7080')).not.toBe(gone);
    channels.close();
  });

  it('keeps at most 64 channels when replicas keep coming back under new addresses', () => {
    const channels = createPeerChannels({ token: 't', maxReceiveBytes: 1024 });
    const oldest = channels.of('10.0.1.0:7080');
    for (let i = 1; i < 200; i += 1) channels.of(`10.0.1.${i}:7080`);
    expect(channels.size).toBe(64);
    // The oldest was closed to make room: asking for it again opens a new channel.
    expect(channels.of('10.0.1.0:7080')).not.toBe(oldest);
    channels.close();
  });
});
