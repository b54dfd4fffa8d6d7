import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config';
import { startTestServer } from './helpers/server';

/**
 * The built-in hold audio, as a VoiceXML platform receives it: a WAV read chunk by chunk
 * here and decoded with G.711's own expansion formulas (not the server's encoder), so a
 * wrong header, law or bit order shows up as a wrong field or as noise instead of a chime.
 */

interface Wav {
  formatTag: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  fmtSize: number;
  factSamples?: number;
  data: Buffer;
}

function readWav(file: Buffer): Wav {
  expect(file.toString('ascii', 0, 4)).toBe('RIFF');
  expect(file.readUInt32LE(4)).toBe(file.length - 8);
  expect(file.toString('ascii', 8, 12)).toBe('WAVE');
  const chunks = new Map<string, Buffer>();
  for (let at = 12; at + 8 <= file.length; ) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    chunks.set(id, file.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size % 2);
  }
  const fmt = chunks.get('fmt ');
  const data = chunks.get('data');
  if (!fmt || !data) throw new Error(`chunks: ${[...chunks.keys()].join(', ')}`);
  const fact = chunks.get('fact');
  return {
    formatTag: fmt.readUInt16LE(0),
    channels: fmt.readUInt16LE(2),
    sampleRate: fmt.readUInt32LE(4),
    byteRate: fmt.readUInt32LE(8),
    blockAlign: fmt.readUInt16LE(12),
    bitsPerSample: fmt.readUInt16LE(14),
    fmtSize: fmt.length,
    ...(fact ? { factSamples: fact.readUInt32LE(0) } : {}),
    data,
  };
}

/** µ-law expansion (ITU-T G.711 Table 2): bits inverted, sign, 3-bit exponent, 4-bit mantissa. */
function expandMulaw(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** A-law expansion (ITU-T G.711 Table 1): even bits inverted, sign bit 1 for positive. */
function expandAlaw(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/** Power of one frequency in a stretch of samples (Goertzel), relative to the stretch's energy. */
function shareAt(samples: number[], hz: number, rate: number): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / rate));
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  const energy = samples.reduce((sum, x) => sum + x * x, 0);
  return power / (energy * samples.length / 2);
}

async function served(env: Record<string, string> = {}): Promise<Buffer> {
  const server = startTestServer({ env });
  try {
    const res = await request(server.app).get('/vxml/audio/hold.wav').buffer(true).parse((r, done) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => done(null, Buffer.concat(parts)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    return res.body as Buffer;
  } finally {
    await server.close();
  }
}

function expectChime(samples: number[]): void {
  const peak = Math.max(...samples.map(Math.abs));
  // Quiet but audible: about -15 dBFS at the strike of a note, nothing clipped.
  expect(peak).toBeGreaterThan(3000);
  expect(peak).toBeLessThan(8000);
  // The first note (E5, 659 Hz) sounds in its first 0.3 s, the second (C5, 523 Hz) after it.
  const first = samples.slice(80, 80 + 2000);
  const second = samples.slice(2900, 2900 + 2000);
  expect(shareAt(first, 659.25, 8000)).toBeGreaterThan(0.8);
  expect(shareAt(second, 523.25, 8000)).toBeGreaterThan(0.5);
  // And silence between the chimes (1.0 s to 1.9 s): a chime, not a drone.
  expect(Math.max(...samples.slice(8000, 15200).map(Math.abs))).toBeLessThan(64);
}

describe('the built-in hold audio', () => {
  it('is G.711 µ-law, 8 kHz mono, in a WAV with the fact chunk, and sounds the chime', async () => {
    const wav = readWav(await served());
    expect({ ...wav, data: undefined }).toEqual({
      formatTag: 7,
      channels: 1,
      sampleRate: 8000,
      byteRate: 8000,
      blockAlign: 1,
      bitsPerSample: 8,
      fmtSize: 18,
      factSamples: wav.data.length,
      data: undefined,
    });
    expect(wav.data.length).toBe(4 * 8000);
    expectChime([...wav.data].map(expandMulaw));
  });

  it('is G.711 A-law with HOLD_AUDIO_ENCODING=alaw, the same chime', async () => {
    const alaw = readWav(await served({ HOLD_AUDIO_ENCODING: 'alaw' }));
    expect([alaw.formatTag, alaw.sampleRate, alaw.bitsPerSample, alaw.factSamples]).toEqual([6, 8000, 8, alaw.data.length]);
    const samples = [...alaw.data].map(expandAlaw);
    expectChime(samples);
    // Both laws carry one signal: they differ only by quantisation (a few per cent).
    const mulaw = [...readWav(await served({ HOLD_AUDIO_ENCODING: 'mulaw' })).data].map(expandMulaw);
    const error = samples.reduce((sum, x, i) => sum + (x - mulaw[i]!) ** 2, 0);
    const signal = mulaw.reduce((sum, x) => sum + x * x, 0);
    expect(error / signal).toBeLessThan(0.01);
  });

  it('refuses an encoding no platform plays as G.711', () => {
    expect(() => loadConfig({ HOLD_AUDIO_ENCODING: 'pcm' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOLD_AUDIO_ENCODING: 'pcm' })).toThrow(/HOLD_AUDIO_ENCODING/);
  });
});
