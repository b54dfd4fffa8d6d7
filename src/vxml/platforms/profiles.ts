/**
 * Platform profiles: how documents are written for a family of VoiceXML browsers. Every
 * profile writes W3C VoiceXML 2.1 (the schema check in the tests covers all of them); a
 * profile only picks, among valid forms, the one its platform is documented to run.
 * README "Platforms" has the table of what each one changes and where that comes from.
 */

export const PLATFORM_NAMES = ['generic', 'cisco', 'avaya', 'genesys', 'nuance'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];

export function isPlatformName(value: string): value is PlatformName {
  return (PLATFORM_NAMES as readonly string[]).includes(value);
}

export interface PlatformProfile {
  name: PlatformName;
  /**
   * How a question that takes one key listens: an inline SRGS grammar, or one <option dtmf>
   * per key (which the platform turns into its own DTMF grammar).
   */
  keyGrammar: 'srgs' | 'options';
  /** fetchaudiodelay/fetchaudiominimum set where hold audio plays, or the platform's own. */
  fetchAudio?: { delay: string; minimum: string };
  /** Whether <disconnect namelist> (VoiceXML 2.1) may be written, or only a bare <disconnect/>. */
  disconnectNamelist: boolean;
  /** How digits are spoken by TTS: the vxml:digits say-as type, or the digits spaced out as text. */
  digits: 'say-as' | 'spaced';
}

const GENERIC: PlatformProfile = { name: 'generic', keyGrammar: 'srgs', disconnectNamelist: true, digits: 'say-as' };

export const PROFILES: Record<PlatformName, PlatformProfile> = {
  generic: GENERIC,
  cisco: {
    name: 'cisco',
    // "Regex is the only grammar format supported for DTMF-based recognition" on VVB: an
    // inline SRGS DTMF grammar needs an external speech server. <option dtmf> and the
    // builtin digits type are handled by the browser itself.
    // https://developer.cisco.com/docs/customer-voice-portal/user-input
    keyGrammar: 'options',
    // The fetchaudio properties default to the platform's values (the spec's examples are
    // 2 s and 5 s): a send that takes 2.5 s would hold the caller until 7 s. A short delay
    // (no blip for a quick answer) and no minimum make the hold last as long as the send.
    // https://www.orourke.tv/web/doku.php?id=vendors:cisco:uc:cvp:fetchaudio
    // https://www.w3.org/TR/voicexml20/#dml6.3.5
    fetchAudio: { delay: '1s', minimum: '0s' },
    // The Cisco browser documents <disconnect> with no attributes (VoiceXML 2.0 element set):
    // results are assigned, then the call is released without a namelist.
    // https://www.cisco.com/en/US/products/sw/custcosw/ps1846/products_programming_reference_guide_chapter09186a00800c49db.html
    disconnectNamelist: false,
    // TTS on VVB comes from an external media server whose support is the vendor's
    // (same page as the grammar note): spaced digits read right on any engine.
    digits: 'spaced',
  },
  // Avaya Experience Portal, Genesys Voice Platform and Nuance Voice Platform document
  // W3C VoiceXML 2.1 (with <disconnect namelist> and SSML say-as through their TTS): no
  // difference from generic was found in their documentation (README "Platforms").
  avaya: { ...GENERIC, name: 'avaya' },
  genesys: { ...GENERIC, name: 'genesys' },
  nuance: { ...GENERIC, name: 'nuance' },
};

export function profileOf(name: PlatformName | undefined): PlatformProfile {
  return PROFILES[name ?? 'generic'];
}
