"use strict";
// NGen Connect search page: plain JavaScript, no build step. State lives in the URL hash, so the
// browser's back button and shared links work: #/search?q=...&province=QC&offset=10, #/organization/ID.

const TEXT = {
  en: {
    skip: "Skip to results", tagline: "Find capabilities across Canada's advanced-manufacturing network",
    searchLabel: "Search capabilities, in English or French", searchButton: "Search", filters: "Filters",
    clearFilters: "Clear filters", results: "Results", previous: "Previous", next: "Next",
    export: "Export these results:", back: "← Back to results", similar: "Similar records",
    listedIn: "listed by", sampleNote: "Profiles marked “sample data” are fictitious.", switchTo: "Français", switchLang: "fr",
    placeholder: "e.g. 5-axis titanium machining, AS9100", pages: "Pages",
    found: (n, lang) => `${n} results, best first (query language: ${LANGUAGE_NAMES.en[lang] || lang}).`,
    none: "No results. Try other words or fewer filters.", loading: "Searching…",
    page: (p, n) => `Page ${p} of ${n}`, why: "Why this result?", sample: "sample data", score: "score",
    legs: { semantic: "Meaning matches (semantic similarity)", keyword: "Words in common", name: "Name resembles the query",
            glossary: "Glossary used", cross_language: "Cross-language correction", passage: "Best passage",
            boost_keyword: "Boost from words in common", boost_name: "Boost from the name", place: "In the province the query names",
            product: "A product it holds", boost_product: "Boost from the product",
            explanation: "In one sentence" },
    facets: { kind: "Kind", language: "Language", country: "Country", province: "Province or territory", type: "Type", naics: "Industry (NAICS)",
              certification: "Certification", sme: "SME", cluster: "Cluster", ownership: "Ownership", size: "Employees" },
    attributes: { operating_name: "Operating name", website: "Website", city: "City", province: "Province", naics: "NAICS", certifications: "Certifications",
                  employees: "Employees", org_type: "Type", clusters: "Clusters", ownership: "Ownership",
                  focus_areas: "Focus areas", members: "Members", asset_type: "Asset type", owner: "Owner",
                  project: "NGen project", ipc: "IPC classes", licensing_status: "Licensing status" },
    error: "Something went wrong.",
  },
  fr: {
    skip: "Aller aux résultats", tagline: "Trouvez des capacités dans le réseau canadien de la fabrication de pointe",
    searchLabel: "Rechercher des capacités, en français ou en anglais", searchButton: "Rechercher", filters: "Filtres",
    clearFilters: "Effacer les filtres", results: "Résultats", previous: "Précédent", next: "Suivant",
    export: "Exporter ces résultats :", back: "← Retour aux résultats", similar: "Fiches semblables",
    listedIn: "inscrit aux registres", sampleNote: "Les profils marqués « données d'exemple » sont fictifs.", switchTo: "English", switchLang: "en",
    placeholder: "p. ex. usinage 5 axes de titane, AS9100", pages: "Pages",
    found: (n, lang) => `${n} résultats, les meilleurs d'abord (langue de la requête : ${LANGUAGE_NAMES.fr[lang] || lang}).`,
    none: "Aucun résultat. Essayez d'autres mots ou moins de filtres.", loading: "Recherche…",
    page: (p, n) => `Page ${p} sur ${n}`, why: "Pourquoi ce résultat?", sample: "données d'exemple", score: "score",
    legs: { semantic: "Le sens correspond (similarité sémantique)", keyword: "Mots en commun", name: "Le nom ressemble à la requête",
            glossary: "Glossaire utilisé", cross_language: "Correction interlangue", passage: "Meilleur passage",
            boost_keyword: "Bonus des mots en commun", boost_name: "Bonus du nom", place: "Dans la province nommée par la requête",
            product: "Un produit dont elle est titulaire", boost_product: "Bonus du produit",
            explanation: "En une phrase" },
    facets: { kind: "Type de fiche", language: "Langue", country: "Pays", province: "Province ou territoire", type: "Type", naics: "Industrie (SCIAN)",
              certification: "Certification", sme: "PME", cluster: "Grappe", ownership: "Propriété", size: "Effectif" },
    attributes: { operating_name: "Nom commercial", website: "Site web", city: "Ville", province: "Province", naics: "SCIAN", certifications: "Certifications",
                  employees: "Employés", org_type: "Type", clusters: "Grappes", ownership: "Propriété",
                  focus_areas: "Créneaux", members: "Membres", asset_type: "Type d'actif", owner: "Titulaire",
                  project: "Projet NGen", ipc: "Classes CIB", licensing_status: "Statut de licence" },
    error: "Une erreur s'est produite.",
  },
};
const LANGUAGE_NAMES = {
  en: { en: "English", fr: "French", "en+fr": "Bilingual", und: "undetermined" },
  fr: { en: "Anglais", fr: "Français", "en+fr": "Bilingue", und: "indéterminée" },
};
const VALUE_NAMES = {
  en: {
    kind: { organization: "Organisation", cluster: "Cluster", ip_asset: "IP asset" },
    type: { manufacturer: "Manufacturer", technology_supplier: "Technology supplier", research: "Research", ecosystem_partner: "Ecosystem partner" },
    sme: { yes: "Yes", no: "No" },
    ownership: { indigenous_owned: "Indigenous-owned", women_owned: "Women-owned", visible_minority_owned: "Visible-minority-owned" },
    province: { AB: "Alberta", BC: "British Columbia", MB: "Manitoba", NB: "New Brunswick", NL: "Newfoundland and Labrador",
                NS: "Nova Scotia", NT: "Northwest Territories", NU: "Nunavut", ON: "Ontario", PE: "Prince Edward Island",
                QC: "Quebec", SK: "Saskatchewan", YT: "Yukon" },
  },
  fr: {
    kind: { organization: "Organisation", cluster: "Grappe", ip_asset: "Actif de PI" },
    type: { manufacturer: "Fabricant", technology_supplier: "Fournisseur de technologie", research: "Recherche", ecosystem_partner: "Partenaire de l'écosystème" },
    sme: { yes: "Oui", no: "Non" },
    ownership: { indigenous_owned: "Propriété autochtone", women_owned: "Propriété féminine", visible_minority_owned: "Propriété de minorités visibles" },
    province: { AB: "Alberta", BC: "Colombie-Britannique", MB: "Manitoba", NB: "Nouveau-Brunswick", NL: "Terre-Neuve-et-Labrador",
                NS: "Nouvelle-Écosse", NT: "Territoires du Nord-Ouest", NU: "Nunavut", ON: "Ontario", PE: "Île-du-Prince-Édouard",
                QC: "Québec", SK: "Saskatchewan", YT: "Yukon" },
  },
};
const FACET_ORDER = ["kind", "language", "country", "province", "type", "naics", "certification", "sme", "cluster", "ownership", "size"];
const DETAIL_PATH = { organization: "organizations", cluster: "clusters", ip_asset: "ip-assets" };
const PAGE_SIZE = 10;
const $ = (id) => document.getElementById(id);

let lang = localStorage.getItem("ngen-lang") || ((navigator.language || "en").startsWith("fr") ? "fr" : "en");

function t(key) { return TEXT[lang][key]; }
function countryName(code) {
  if (!/^[A-Z]{2}$/.test(code || "")) return code;  // a country kept as given
  try { return new Intl.DisplayNames([lang], { type: "region" }).of(code) || code; } catch { return code; }
}
// City, then the province (by name) or the foreign region as given, then the country when not Canada.
function placeOf(attrs) {
  const region = attrs.province ? valueName("province", attrs.province) : attrs.region;
  const country = attrs.country && attrs.country !== "CA" ? countryName(attrs.country) : "";
  return [attrs.city, region, country].filter(Boolean).join(", ");
}
function valueName(facet, value, entry) {
  if (facet === "naics") return `${value} ${entry && entry.label ? "· " + entry.label : ""}`;
  if (facet === "country") return countryName(value);
  if (facet === "language") return LANGUAGE_NAMES[lang][value] || value;
  if (entry && entry.label) return entry.label;  // cluster names, ownership in the page's language
  return (VALUE_NAMES[lang][facet] || {})[value] || value;
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "html") node.innerHTML = value; else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  return { path, params: new URLSearchParams(query) };
}
function searchHash(params) { return "#/search?" + params.toString(); }

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
  $("q").placeholder = t("placeholder");
  $("pager").setAttribute("aria-label", t("pages"));
  const button = $("lang-switch");
  button.textContent = t("switchTo");
  button.lang = t("switchLang");
}

async function api(path, params) {
  const query = new URLSearchParams(params || []);
  query.set("lang", lang);
  const response = await fetch(`${path}?${query}`, { headers: { "Accept-Language": lang } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || t("error"));
  return body;
}

function renderHit(hit, withWhy = true) {
  const detail = `#/${hit.kind}/${encodeURIComponent(hit.id)}`;
  const item = el("li", { class: "hit" });
  item.append(el("h3", {}, el("a", { href: detail, text: hit.name })));
  const badges = el("p", { class: "meta" },
    el("span", { class: "badge", text: valueName("kind", hit.kind) }),
    el("span", { class: "badge", text: LANGUAGE_NAMES[lang][hit.language] || hit.language }));
  if (hit.sample) badges.append(el("span", { class: "badge sample", text: t("sample") }));
  const listed = Object.keys(hit.listed_in || {});
  if (listed.length) badges.append(el("span", { class: "badge", text: `${t("listedIn")}: ${listed.join(", ")}` }));
  const place = placeOf(hit);
  badges.append(`${place ? place + " · " : ""}${t("score")} ${hit.score.toFixed(3)}`);
  item.append(badges);
  item.append(el("p", { class: "snippet", lang: hit.snippet_language, html: hit.snippet_highlighted || "" }));
  if (withWhy && hit.why) item.append(renderWhy(hit));
  return item;
}

function renderWhy(hit) {
  const legs = hit.why.legs || {};
  const boosts = hit.why.boosts || {};
  const names = t("legs");
  const list = el("ul");
  if (legs.semantic !== undefined) list.append(el("li", { text: `${names.semantic}: ${legs.semantic.toFixed(3)} (${LANGUAGE_NAMES[lang][hit.snippet_language] || hit.snippet_language})` }));
  if (legs.keyword) list.append(el("li", { text: `${names.keyword}: ${legs.keyword.terms.join(", ")}` }));
  if (legs.name) list.append(el("li", { text: `${names.name}: ${legs.name.toFixed(2)}` }));
  if (legs.product) list.append(el("li", { text: `${names.product}: ${legs.product.brand} (DIN ${legs.product.din})` }));
  if (legs.glossary) list.append(el("li", { text: `${names.glossary}: ${legs.glossary.join("; ")}` }));
  if (boosts.cross_language) list.append(el("li", { text: `${names.cross_language}: +${boosts.cross_language.toFixed(3)}` }));
  if (boosts.keyword) list.append(el("li", { text: `${names.boost_keyword}: +${boosts.keyword.toFixed(3)}` }));
  if (boosts.name) list.append(el("li", { text: `${names.boost_name}: +${boosts.name.toFixed(3)}` }));
  if (boosts.product) list.append(el("li", { text: `${names.boost_product}: +${boosts.product.toFixed(3)}` }));
  if (boosts.place) list.append(el("li", { text: `${names.place}: +${boosts.place.toFixed(3)}` }));
  if (hit.explanation) list.append(el("li", { text: `${names.explanation}: ${hit.explanation}` }));
  return el("details", {}, el("summary", { text: t("why") }), list);
}

function renderFacets(facets, params) {
  const groups = $("facet-groups");
  groups.replaceChildren();
  for (const key of FACET_ORDER) {
    const entries = (facets[key] || []).slice(0, 8);
    const selected = params.getAll(key);
    for (const value of selected) {
      if (!entries.some((e) => e.value === value)) entries.push({ value, count: 0 });
    }
    if (!entries.length) continue;
    const box = el("fieldset", {}, el("legend", { text: t("facets")[key] }));
    for (const entry of entries) {
      const id = `facet-${key}-${entry.value}`.replace(/[^a-zA-Z0-9_-]/g, "_");
      const input = el("input", { type: "checkbox", id, name: key, value: entry.value });
      input.checked = selected.includes(entry.value);
      input.addEventListener("change", () => toggleFilter(key, entry.value, input.checked));
      box.append(el("label", { for: id }, input, valueName(key, entry.value, entry),
        el("span", { class: "count", text: String(entry.count), "aria-label": `(${entry.count})` })));
    }
    groups.append(box);
  }
  $("facets").hidden = !groups.children.length;
}

function toggleFilter(key, value, on) {
  const { params } = parseHash();
  const values = params.getAll(key).filter((v) => v !== value);
  params.delete(key);
  for (const v of on ? [...values, value] : values) params.append(key, v);
  params.delete("offset");
  location.hash = searchHash(params);
}

async function showSearch(params) {
  $("search-view").hidden = false;
  $("record-view").hidden = true;
  const q = params.get("q") || "";
  $("q").value = q;
  if (!q) { $("status").textContent = ""; $("results").replaceChildren(); $("facets").hidden = true; $("pager").hidden = true; $("export").hidden = true; return; }
  $("status").textContent = t("loading");
  const query = new URLSearchParams(params);
  query.set("limit", String(PAGE_SIZE));
  try {
    const body = await api("/search", query);
    const offset = Number(params.get("offset") || 0);
    $("status").textContent = body.total ? t("found")(body.total, body.detected_language) : (body.message || t("none"));
    $("results").replaceChildren(...body.results.map((hit) => renderHit(hit)));
    renderFacets(body.facets, params);
    const pages = Math.max(1, Math.ceil(body.total / PAGE_SIZE));
    $("pager").hidden = body.total <= PAGE_SIZE;
    $("page-info").textContent = t("page")(Math.floor(offset / PAGE_SIZE) + 1, pages);
    $("prev").disabled = offset === 0;
    $("next").disabled = offset + PAGE_SIZE >= body.total;
    const exportParams = new URLSearchParams(params);
    exportParams.delete("offset");
    exportParams.set("limit", "100");
    exportParams.set("lang", lang);
    $("export-csv").href = `/search/export?${exportParams}&format=csv`;
    $("export-xlsx").href = `/search/export?${exportParams}&format=xlsx`;
    $("export").hidden = !body.total;
  } catch (error) {
    $("status").textContent = error.message;
    $("results").replaceChildren();
  }
}

function page(step) {
  const { params } = parseHash();
  const offset = Math.max(0, Number(params.get("offset") || 0) + step * PAGE_SIZE);
  params.set("offset", String(offset));
  location.hash = searchHash(params);
  $("main").focus();
}

async function showRecord(kind, id) {
  $("search-view").hidden = true;
  $("record-view").hidden = false;
  try {
    const record = await api(`/${DETAIL_PATH[kind]}/${encodeURIComponent(id)}`);
    $("record-name").textContent = record.name;
    const attrs = record.attributes;
    const place = placeOf(attrs);
    const listedBy = Object.keys(attrs.listed_in || {});
    $("record-meta").textContent = [valueName("kind", record.kind), LANGUAGE_NAMES[lang][record.language], place,
      listedBy.length ? `${t("listedIn")}: ${listedBy.join(", ")}` : "",
      attrs.sample ? t("sample") : ""].filter(Boolean).join(" · ");
    $("record-texts").replaceChildren(...Object.entries(record.texts).map(([language, text]) =>
      el("p", { lang: language === "und" ? "" : language, text })));
    const list = $("record-attributes");
    list.replaceChildren();
    for (const [key, label] of Object.entries(t("attributes"))) {
      const value = key === "org_type" ? valueName("type", attrs[key])
        : key === "clusters" && attrs.cluster_names ? attrs.cluster_names
        : key === "ownership" && Array.isArray(attrs[key]) ? attrs[key].map((v) => valueName("ownership", v))
        : attrs[key];
      if (value === undefined || value === null || (Array.isArray(value) && !value.length)) continue;
      list.append(el("dt", { text: label }), el("dd", { text: Array.isArray(value) ? value.join(", ") : String(value) }));
    }
    const similar = $("similar");
    similar.replaceChildren();
    const body = await api(`/${DETAIL_PATH[kind]}/${encodeURIComponent(id)}/similar`, [["limit", "5"]]);
    similar.previousElementSibling.hidden = !body.results.length;
    similar.replaceChildren(...body.results.map((hit) => renderHit(hit, false)));
    $("record-name").focus?.();
  } catch (error) {
    $("record-name").textContent = error.message;
  }
}

function route() {
  const { path, params } = parseHash();
  const match = path.match(/^\/(organization|cluster|ip_asset)\/(.+)$/);
  if (match) return showRecord(match[1], decodeURIComponent(match[2]));
  return showSearch(params);
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  params.set("q", $("q").value.trim());
  location.hash = searchHash(params);
});
$("lang-switch").addEventListener("click", () => {
  lang = lang === "en" ? "fr" : "en";
  localStorage.setItem("ngen-lang", lang);
  applyLanguage();
  route();
});
$("clear-filters").addEventListener("click", () => {
  const { params } = parseHash();
  location.hash = searchHash(new URLSearchParams([["q", params.get("q") || ""]]));
});
$("prev").addEventListener("click", () => page(-1));
$("next").addEventListener("click", () => page(1));
$("back").addEventListener("click", (event) => { event.preventDefault(); history.back(); });
window.addEventListener("hashchange", route);
$("record-name").setAttribute("tabindex", "-1");
applyLanguage();
route();
