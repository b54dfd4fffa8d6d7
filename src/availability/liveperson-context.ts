/**
 * The call's IVR context as LivePerson engagement attributes, added to the campaign's own
 * on the IVR Engagement API request, so the agent's Consumer Info widget shows why the
 * caller called. Shapes from LivePerson's "Types of Engagement Attributes"
 * (https://developers.liveperson.com/engagement-attributes-types-of-engagement-attributes.html):
 *
 * - intent   -> Service activity: {type: "service", service: {topic}}
 * - account  -> Customer info:    {type: "ctmrinfo", info: {customerId}}
 * - language -> Personal info:    {type: "personal", personal: {language}}
 *
 * LivePerson has no attribute for other names (time waited, for one): they reach the agent
 * through GET /api/context/:token only (README "Context for the agent").
 */
export function contextAttributes(context: Readonly<Record<string, string>> | undefined): Record<string, unknown>[] {
  if (!context) return [];
  const attributes: Record<string, unknown>[] = [];
  if (context.intent) attributes.push({ type: 'service', service: { topic: context.intent } });
  if (context.account) attributes.push({ type: 'ctmrinfo', info: { customerId: context.account } });
  if (context.language) attributes.push({ type: 'personal', personal: { language: context.language } });
  return attributes;
}
