/** @fjord/identity — a miniature keystone: users, projects, roles, password logins, tokens, the catalog. */
export { createIdentityService } from './service.js';
export type { IdentityServiceOptions } from './service.js';
export { registerIdentityOptions, readIdentitySettings } from './options.js';
export type { IdentitySettings, BootstrapUser } from './options.js';
export { catalogFor } from './catalog.js';
export type { CatalogService } from './catalog.js';
export { TokenSigner, newAuditId } from './tokens.js';
export type { TokenClaims } from './tokens.js';
