/** Development-only signing secret: printed by `npm start` and shown in the README. Never use it on AWS. */
export const DEVELOPMENT_SECRET = 'whsec_cGFyY2VsY2FzdC1sb2NhbC1kZXZlbG9wbWVudA==';
