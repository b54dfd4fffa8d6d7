/**
 * The hold audio played (fetchaudio) while the send step waits on the gateway, for
 * campaigns that do not set their own holdAudio: a soft two-note chime every two seconds,
 * so the caller knows the line is alive. Generated once as an 8 kHz 16-bit mono WAV,
 * which every VoiceXML platform plays.
 */
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

export function holdToneWav(): Buffer {
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
  return wav(samples);
}

function wav(samples: Int16Array): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // PCM format chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
