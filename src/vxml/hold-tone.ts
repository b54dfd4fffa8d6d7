/**
 * The hold audio played (fetchaudio) while the send step waits on the gateway, for
 * campaigns that do not set their own holdAudio: a soft two-note chime every two seconds,
 * so the caller knows the line is alive.
 *
 * Served as G.711 in an 8 kHz mono WAV, the telephone's own codec: µ-law by default,
 * A-law by HOLD_AUDIO_ENCODING (Europe's networks). 16-bit PCM is not enough: Cisco VVB
 * plays WAV only as G.711 µ-law, G.711 A-law or G.729 ("The following codecs are
 * supported for each file format: G711A, G711U, G729. The default codec is G711U",
 * https://developer.cisco.com/docs/customer-voice-portal/cisco-vvb-voicexml-elements-reference-table),
 * so a PCM chime is silence or an error there. Every other platform plays G.711 WAV too.
 */
export type HoldAudioEncoding = 'mulaw' | 'alaw';

export const HOLD_AUDIO_ENCODINGS = ['mulaw', 'alaw'] as const satisfies readonly HoldAudioEncoding[];

const SAMPLE_RATE = 8000;
const SECONDS = 4;
const NOTES = [
  { startS: 0, hz: 659.25 }, // E5
  { startS: 0.35, hz: 523.25 }, // C5
  { startS: 2, hz: 659.25 },
  { startS: 2.35, hz: 523.25 },
];
const NOTE_S = 0.6;
const PEAK = 0.18 * 32767; // quiet: it plays under nothing, and must not startle

/**
 * WAVE format tags (RFC 2361 Appendix A; also the codec numbers Cisco's gateways write
 * in WAV headers: 6 G711_ALAW, 7 G711_MULAW, "Audio File Support",
 * http://www.cisco.com/en/US/products/sw/iosswrel/ps1839/products_feature_guide_chapter09186a00800b5ddb.html).
 */
const FORMAT_TAG: Record<HoldAudioEncoding, number> = { alaw: 6, mulaw: 7 };

/**
 * The WAV for each encoding, made once per process: every server (and every test's) made
 * the same 32,000 samples again, 70-90 ms each on the shared test machine. Callers only
 * send it; they must not write into it.
 */
const made = new Map<HoldAudioEncoding, Buffer>();

export function holdToneWav(encoding: HoldAudioEncoding = 'mulaw'): Buffer {
  let wav = made.get(encoding);
  if (!wav) {
    wav = makeHoldToneWav(encoding);
    made.set(encoding, wav);
  }
  return wav;
}

function makeHoldToneWav(encoding: HoldAudioEncoding): Buffer {
  const samples = chime();
  const encode = encoding === 'alaw' ? linearToAlaw : linearToMulaw;
  const data = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i += 1) data[i] = encode(samples[i]!);
  return g711Wav(data, FORMAT_TAG[encoding]);
}

/** The chime as 16-bit linear samples at 8 kHz. */
function chime(): Int16Array {
  const samples = new Int16Array(SAMPLE_RATE * SECONDS);
  for (const note of NOTES) {
    const first = Math.round(note.startS * SAMPLE_RATE);
    for (let i = 0; i < NOTE_S * SAMPLE_RATE && first + i < samples.length; i += 1) {
      const t = i / SAMPLE_RATE;
      // A quick rise and an exponential fade: a chime, not a beep.
      const envelope = Math.min(1, t / 0.01) * Math.exp(-t * 6);
      const value = samples[first + i]! + PEAK * envelope * Math.sin(2 * Math.PI * note.hz * t);
      samples[first + i] = Math.max(-32768, Math.min(32767, Math.round(value)));
    }
  }
  return samples;
}

/**
 * A WAV of 8-bit G.711 samples. A non-PCM format needs the extended format chunk (18
 * bytes, cbSize 0) and a fact chunk with the number of samples (Microsoft's RIFF WAVE
 * rules, the "Multimedia Programming Interface and Data Specifications 1.0"); strict
 * players refuse the file without them.
 */
function g711Wav(data: Buffer, formatTag: number): Buffer {
  const fmt = Buffer.alloc(8 + 18);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(18, 4);
  fmt.writeUInt16LE(formatTag, 8);
  fmt.writeUInt16LE(1, 10); // mono
  fmt.writeUInt32LE(SAMPLE_RATE, 12);
  fmt.writeUInt32LE(SAMPLE_RATE, 16); // byte rate: one byte per sample
  fmt.writeUInt16LE(1, 20); // block align
  fmt.writeUInt16LE(8, 22); // bits per sample
  fmt.writeUInt16LE(0, 24); // cbSize: no extra format bytes
  const fact = Buffer.alloc(12);
  fact.write('fact', 0, 'ascii');
  fact.writeUInt32LE(4, 4);
  fact.writeUInt32LE(data.length, 8); // samples per channel
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0, 'ascii');
  dataHeader.writeUInt32LE(data.length, 4);
  const pad = data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0); // RIFF chunks are word-aligned
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), fmt, fact, dataHeader, data, pad]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

// G.711 encoders (ITU-T G.711; the segment search of Sun's public-domain g711.c).

const MULAW_SEGMENT_ENDS = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  const found = ends.findIndex((end) => value <= end);
  return found === -1 ? ends.length : found;
}

/** One 16-bit linear sample as a µ-law byte. */
export function linearToMulaw(sample: number): number {
  let value = sample >> 2; // µ-law works on 14 bits
  let mask = 0xff;
  if (value < 0) {
    value = -value;
    mask = 0x7f;
  }
  value = Math.min(value, 8159) + 0x21; // clip, then add the bias
  const seg = segment(value, MULAW_SEGMENT_ENDS);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((value >> (seg + 1)) & 0x0f)) ^ mask;
}

/** One 16-bit linear sample as an A-law byte (even bits inverted, as G.711 sends them). */
export function linearToAlaw(sample: number): number {
  let value = sample >> 3; // A-law works on 13 bits
  let mask = 0xd5;
  if (value < 0) {
    value = -value - 1;
    mask = 0x55;
  }
  const seg = segment(value, ALAW_SEGMENT_ENDS);
  if (seg >= 8) return 0x7f ^ mask;
  const quantised = seg < 2 ? (value >> 1) & 0x0f : (value >> seg) & 0x0f;
  return ((seg << 4) | quantised) ^ mask;
}
