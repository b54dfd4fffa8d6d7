import type { CampaignForm } from './campaign-form';
import { AUTH_DEFAULT_NAMES, AUTH_FIELDS, AVAILABILITY_KINDS, availabilityErrorKey } from './availability-form';
import { LIMIT_DEFAULTS, limitsErrorKey, UNITS } from './limits-form';
import { variantShares, variantsErrorKey } from './variants-form';

/**
 * What the campaign form's limits, variants and availability sections need besides the
 * form itself (templates/console/campaign-form/*.ejs), and where their errors go.
 */

/** The form field an error of the schema (or the form) is shown beside, or undefined when it is not one of these sections'. */
export function sectionErrorKey(field: string): string | undefined {
  const head = field.split('.')[0];
  if (head === 'limits') return limitsErrorKey(field);
  if (head === 'variants') return variantsErrorKey(field);
  if (head === 'availability') return availabilityErrorKey(field);
  return undefined;
}

export function sectionView(form: CampaignForm) {
  return {
    units: Object.keys(UNITS),
    limitDefaults: LIMIT_DEFAULTS,
    shares: variantShares(form.variants),
    kinds: AVAILABILITY_KINDS,
    authFields: AUTH_FIELDS,
    authDefaults: AUTH_DEFAULT_NAMES,
  };
}
