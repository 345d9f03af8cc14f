/**
 * The areas a staff member or admin can pick for figures and the ledger, from GET /areas:
 * their roots (a community, or a street) and, under a street, its communities.
 */

/** @param {any} tree GET /areas answer @returns {Array<{id: number, name: string}>} */
function pickable(tree) {
  /** @type {Array<{id: number, name: string}>} */
  const out = [];
  for (const root of (tree && tree.items) || []) {
    out.push({ id: root.id, name: root.name });
    if (root.kind === 'street') {
      (root.children || [])
        .filter((/** @type {any} */ c) => c.kind === 'community')
        .forEach((/** @type {any} */ c) => out.push({ id: c.id, name: c.name }));
    }
  }
  return out;
}

module.exports = { pickable };
