/**
 * The areas a staff member or admin can pick for figures and the ledger, from the area tree (services/areas):
 * their roots (a community, or a street) and, under a street, its communities.
 */

const areas = require('../services/areas');

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

/**
 * Fill a figures or ledger page's area choice: admins of a street may pick one of its
 * communities; nobody else sees a choice (`areas` stays empty).
 * @param {{setData: (data: Record<string, any>) => void}} component
 * @returns {Promise<void>}
 */
function loadChoices(component) {
  return areas
    .tree()
    .then((/** @type {any} */ tree) => {
      const areas = pickable(tree);
      component.setData({ areas: areas.length > 1 ? areas : [], areaId: areas.length ? areas[0].id : 0 });
    })
    .catch(() => component.setData({ areas: [] }));
}

module.exports = { pickable, loadChoices };
