"use strict";
// The shortlist (#/shortlist): records a buyer keeps from their searches, in this browser tab
// (sessionStorage) and, once a key is given, on the server for that key (GET/PUT /shortlist, so
// it is there again in another tab or another day); compared side by side (2 to 5) and exported
// as CSV or XLSX by the server (POST /shortlist/export: headers in the page's language, no cell a
// spreadsheet runs). Loaded before app.js, whose helpers it uses.

const SHORTLIST_TEXT = {
  en: {
    navShortlist: "Shortlist", shortlistTitle: "Shortlist", keep: "Add to shortlist", kept: "In the shortlist",
    keepLabel: (name) => `Add ${name} to the shortlist`, shortlistEmpty: "The shortlist is empty: add results from a search.",
    shortlistHint: "Kept in this browser tab (give a key to keep it on the server). Tick 2 to 5 records to compare them side by side.",
    shortlistHintKept: "Kept on the server for your key. Tick 2 to 5 records to compare them side by side.",
    shortlistUnsaved: (message) => `The shortlist could not be kept on the server: ${message}`,
    shortlistFull: "The shortlist holds 50 records at most: remove one first.",
    compare: "Compare", remove: "Remove", removeLabel: (name) => `Remove ${name} from the shortlist`,
    compareCaption: "The records side by side", compareFew: "Tick 2 to 5 records to compare.",
    exportShortlist: "Export the shortlist:", field: "Field",
    compareFields: { place: "Place", naics: "Industry (NAICS)", certifications: "Certifications", employees: "Employees",
              products: "Products (DINs held)", registries: "Listed by", capabilities: "Capabilities" },
  },
  fr: {
    navShortlist: "Liste restreinte", shortlistTitle: "Liste restreinte", keep: "Ajouter à la liste", kept: "Dans la liste",
    keepLabel: (name) => `Ajouter ${name} à la liste restreinte`, shortlistEmpty: "La liste est vide : ajoutez des résultats d'une recherche.",
    shortlistHint: "Gardée dans cet onglet (donnez une clé pour la garder sur le serveur). Cochez de 2 à 5 fiches pour les comparer côte à côte.",
    shortlistHintKept: "Gardée sur le serveur pour votre clé. Cochez de 2 à 5 fiches pour les comparer côte à côte.",
    shortlistUnsaved: (message) => `La liste n'a pas pu être gardée sur le serveur : ${message}`,
    shortlistFull: "La liste restreinte compte au plus 50 fiches : retirez-en une d'abord.",
    compare: "Comparer", remove: "Retirer", removeLabel: (name) => `Retirer ${name} de la liste restreinte`,
    compareCaption: "Les fiches côte à côte", compareFew: "Cochez de 2 à 5 fiches pour comparer.",
    exportShortlist: "Exporter la liste :", field: "Champ",
    compareFields: { place: "Lieu", naics: "Industrie (SCIAN)", certifications: "Certifications", employees: "Employés",
              products: "Produits (DIN détenues)", registries: "Inscrite par", capabilities: "Capacités" },
  },
};

const SHORTLIST_STORE = "ngen-shortlist";
const SHORTLIST_MAX = 50;  // as the server keeps and exports
const SHORTLIST_KEPT = "ngen-shortlist-on-server";  // set once the tab's list is the key's
const shortlisted = () => JSON.parse(sessionStorage.getItem(SHORTLIST_STORE) || "[]");
function showShortlistCount() { $("nav-shortlist").textContent = `${t("navShortlist")} (${shortlisted().length})`; }
function keepLocally(items) {
  sessionStorage.setItem(SHORTLIST_STORE, JSON.stringify(items));
  showShortlistCount();
}

// The server's copy, for the tab's key: one PUT at a time, the latest list last.
let shortlistPut = Promise.resolve();
async function shortlistCall(method, items) {
  const body = items && { records: items.map(({ kind, id }) => ({ kind, id })) };
  return (await jsonCall(method, "/shortlist", body)).records;
}
function saveShortlist(items) {
  keepLocally(items);
  if (!sessionStorage.getItem(KEY_STORE)) return;
  shortlistPut = shortlistPut.then(() => shortlistCall("PUT", items)).then(() => { $("compare-note").textContent = ""; })
    .catch((error) => { $("compare-note").textContent = t("shortlistUnsaved")(error.message); });
}
// When a key is given: the server's list, with what this tab kept before the key appended, kept
// on both; once the tab's list is the key's, the server's is the list (a record removed in
// another tab stays removed).
async function syncShortlist() {
  if (!sessionStorage.getItem(KEY_STORE)) return;
  const server = await shortlistCall("GET");
  if (sessionStorage.getItem(SHORTLIST_KEPT)) { keepLocally(server); return; }
  const known = new Set(server.map((r) => `${r.kind}:${r.id}`));
  const added = shortlisted().filter((r) => !known.has(`${r.kind}:${r.id}`));
  if (added.length) saveShortlist([...server, ...added].slice(0, SHORTLIST_MAX)); else keepLocally(server);
  sessionStorage.setItem(SHORTLIST_KEPT, "1");
}
function inShortlist(kind, id) { return shortlisted().some((r) => r.kind === kind && r.id === id); }

function shortlistButton(hit) {
  const button = el("button", { type: "button", class: "link keep", "aria-label": t("keepLabel")(hit.name) });
  const show = () => {
    const kept = inShortlist(hit.kind, hit.id);
    button.textContent = kept ? `★ ${t("kept")}` : `☆ ${t("keep")}`;
    button.setAttribute("aria-pressed", String(kept));
  };
  button.addEventListener("click", () => {
    const items = shortlisted().filter((r) => !(r.kind === hit.kind && r.id === hit.id));
    if (!inShortlist(hit.kind, hit.id)) {
      if (items.length >= SHORTLIST_MAX) { $("status").textContent = t("shortlistFull"); return; }
      items.push({ kind: hit.kind, id: hit.id, name: hit.name });
    }
    saveShortlist(items);
    show();
  });
  show();
  return button;
}

// At most `most` characters, cut after a word, with an ellipsis when cut.
function shortened(text, most) {
  if (text.length <= most) return text;
  const cut = text.slice(0, most);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), most / 2)).trimEnd()}…`;
}

function compareRows(records) {
  const row = (label, value) => el("tr", {}, el("th", { scope: "row", text: label }),
    ...records.map((r) => el("td", { text: value(r) || "—" })));
  const f = t("compareFields");
  const list = (v) => (Array.isArray(v) ? v.join(", ") : v && typeof v === "object" ? Object.keys(v).join(", ") : v || "");
  return [
    row(f.place, (r) => placeOf(r.attributes)),
    row(f.naics, (r) => (Array.isArray(r.attributes.naics) ? naicsWithTitles(r.attributes).join("; ") : list(r.attributes.naics))),
    row(f.certifications, (r) => list(r.attributes.certifications)),
    row(f.employees, (r) => String(r.attributes.employees ?? r.attributes.employee_band ?? "")),
    row(f.products, (r) => String(r.attributes.products ?? "")),
    row(f.registries, (r) => [r.attributes.registry, ...Object.keys(r.attributes.listed_in || {})].filter(Boolean).join(", ")),
    row(f.capabilities, (r) => shortened(r.texts?.[lang] || Object.values(r.texts || {})[0] || "", 300)),
  ];
}

async function compareChosen() {
  const chosen = [...document.querySelectorAll("#shortlist-items input:checked")].map((box) => shortlisted()[Number(box.value)]);
  const table = $("compare-table");
  if (chosen.length < 2 || chosen.length > 5) { $("compare-note").textContent = t("compareFew"); table.replaceChildren(); return; }
  $("compare-note").textContent = "";
  const records = await Promise.all(chosen.map((r) => api(`/${DETAIL_PATH[r.kind]}/${encodeURIComponent(r.id)}`)));
  table.replaceChildren(
    el("caption", { text: t("compareCaption") }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("field") }), ...records.map((r) => el("th", { scope: "col" }, r.name,
      ...(r.attributes.sample ? [" ", el("span", { class: "badge sample", text: t("sample") })] : []))))),
    el("tbody", {}, ...compareRows(records)),
  );
}

async function exportShortlist(format) {
  const records = shortlisted().map(({ kind, id }) => ({ kind, id }));
  const response = await registryCall("POST", "/shortlist/export", {
    params: { format }, body: JSON.stringify({ records }), type: "application/json" });
  await saveDownload(response, `ngen-connect-shortlist.${format}`);
}

function showShortlist() {
  showView("shortlist-view");
  const items = shortlisted();
  showShortlistCount();
  const hint = sessionStorage.getItem(KEY_STORE) ? t("shortlistHintKept") : t("shortlistHint");
  $("shortlist-note").textContent = items.length ? hint : t("shortlistEmpty");
  $("shortlist-actions").hidden = !items.length;
  $("shortlist-items").replaceChildren(...items.map((item, at) => {
    const id = `shortlist-${at}`;
    const remove = el("button", { type: "button", class: "link", text: t("remove"), "aria-label": t("removeLabel")(item.name) });
    remove.addEventListener("click", () => { saveShortlist(shortlisted().filter((_, i) => i !== at)); showShortlist(); });
    return el("li", {}, el("input", { type: "checkbox", id, value: String(at) }), " ",
      el("label", { for: id }, el("a", { href: `#/${item.kind}/${encodeURIComponent(item.id)}`, text: item.name })), " ", remove);
  }));
  $("compare-table").replaceChildren();
  $("compare-note").textContent = "";
}

function bindShortlist() {
  $("compare-button").addEventListener("click", () => compareChosen().catch((e) => { $("compare-note").textContent = e.message; }));
  document.querySelectorAll("[data-shortlist-export]").forEach((button) => {
    button.addEventListener("click", () => exportShortlist(button.dataset.shortlistExport).catch((e) => { $("compare-note").textContent = e.message; }));
  });
  showShortlistCount();
  syncShortlist().then(() => { if (parseHash().path === "/shortlist") showShortlist(); })
    .catch((error) => { $("compare-note").textContent = t("shortlistUnsaved")(error.message); });
}
