import { composePreferences } from './lib/composition/preferences.ts';

// PreferencesFunction: the preference page and one-click unsubscribe behind the links in every email. Composed once per container, at cold start.
export const handler = composePreferences();
