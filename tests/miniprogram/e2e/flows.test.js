/**
 * The end-to-end suite: one jest test file, so its flows run one after another against the
 * one real server that global-setup.js started (the files below only declare tests).
 * Serial on purpose: concurrent logins on SQLite can hit "database is locked" in
 * core.auth.login_with_code (a deferred transaction), which is the server's to fix.
 */
jest.setTimeout(60000);

require('./issue-flow');
require('./wish-and-staff');
require('./timebank-flow');
require('./volunteer-flow');
require('./households-flow');
require('./unit-flow');
require('./care-flow');
