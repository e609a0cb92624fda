import { fileURLToPath } from 'node:url';
import { loadTemplate, type Template } from '../emulator/template.ts';

/** Where Parcelcast's own files are: the repository root and its template.yaml, the single source of truth. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TEMPLATE_PATH = fileURLToPath(new URL('../template.yaml', import.meta.url));

/** Parcelcast's template.yaml, parsed once. */
export const projectTemplate = (): Template => loadTemplate(TEMPLATE_PATH);
