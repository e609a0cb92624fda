/** Development-only signing secret: printed by `npm start` and shown in the README. Never use it on AWS. */
export const DEVELOPMENT_SECRET = 'whsec_cGFyY2VsY2FzdC1sb2NhbC1kZXZlbG9wbWVudA==';

/** Development-only secret the local stack signs preference links with (served as its SSM parameter). Never use it on AWS. */
export const DEVELOPMENT_PREFERENCE_SECRET = 'parcelcast-local-preference-links';
