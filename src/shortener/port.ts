/** The shortener port: turns a long interaction URL into the link that goes in the text. */
export interface Shortener {
  shorten(target: string, context: { callId: string; campaignId: string }): Promise<string>;
}
