/** The shortener port: turns a long interaction URL into the link that goes in the text. */
export interface Shortener {
  /** expiresAt (ISO time): after it the link shows an "expired" page instead of redirecting. */
  shorten(target: string, context: { callId: string; campaignId: string; expiresAt: string | null }): Promise<string>;
}
