"use strict";
// NGen Connect search page: plain JavaScript, no build step. State lives in the URL hash, so the
// browser's back button and shared links work: #/search?q=...&province=QC&offset=10, #/organization/ID,
// #/registries?registry=NAME. Everything shown from data goes in as text (textContent), never as HTML,
// except the search snippet the server has escaped and marked up.

const TEXT = {
  en: {
    skip: "Skip to results", tagline: "Find capabilities across Canada's advanced-manufacturing network",
    searchLabel: "Search capabilities, in English or French", searchButton: "Search", filters: "Filters",
    clearFilters: "Clear filters", results: "Results", previous: "Previous", next: "Next",
    export: "Export these results:", exportCut: (n) => `(the best 300 of ${n} results: a search keeps its best 300)`, back: "← Back to results", similar: "Similar records",
    listedIn: "listed by", sampleNote: "Profiles marked “sample data” are fictitious.", searchLogNote: "Searches may be logged to learn what members look for: the query, its language, filters, result count and time — never a key, an address or a browser; kept 180 days by default, seen by NGen only.",
    switchTo: "Français", switchLang: "fr",
    placeholder: "e.g. 5-axis titanium machining, AS9100", pages: "Pages",
    found: (n, lang) => `${n} results, best first (query language: ${LANGUAGE_NAMES.en[lang] || lang}).`,
    none: "No results. Try other words or fewer filters.", loading: "Searching…",
    page: (p, n) => `Page ${p} of ${n}`, why: "Why this result?", sample: "sample data", score: "score",
    legs: { semantic: "Meaning matches (semantic similarity)", keyword: "Words in common", name: "Name resembles the query",
            glossary: "Glossary used", cross_language: "Cross-language correction", passage: "Best passage",
            boost_keyword: "Boost from words in common", boost_name: "Boost from the name", place: "In the province the query names",
            product: "A product it holds", boost_product: "Boost from the product",
            explanation: "In one sentence", details: "Details (scores)", coverage: "share of the query's information" },
    facets: { kind: "Kind", language: "Language", country: "Country", province: "Province or territory", type: "Type", naics: "Industry (NAICS)",
              certification: "Certification", sme: "SME", cluster: "Cluster", ownership: "Ownership", size: "Employees",
              status: "Products (SCAN Health)" },
    attributes: { operating_name: "Operating name", website: "Website", city: "City", province: "Province", naics: "NAICS", certifications: "Certifications",
                  employees: "Employees", org_type: "Type", clusters: "Clusters", ownership: "Ownership",
                  focus_areas: "Focus areas", members: "Members", asset_type: "Asset type", owner: "Owner",
                  project: "NGen project", ipc: "IPC classes", licensing_status: "Licensing status" },
    error: "Something went wrong.",
    views: "Views", navSearch: "Search", navRegistries: "Registries",
    registriesTitle: "Registries",
    registriesIntro: "Upload a registry file, check how its columns were read, match it against the members, decide the rows that need a person, and find suppliers for a list of needs.",
    keyTitle: "1. Your API key", keyLabel: "Admin key or the registry's own key", keyUse: "Use this key", keyForget: "Forget the key",
    keyHint: "Kept in this browser tab only, until it is closed.", keyMissing: "Enter your API key first (step 1).",
    keyKept: (names) => names.length ? `Key kept for this session. Registries it may use: ${names.join(", ")}.` : "Key kept for this session. It opens no registry with content yet: type a new name.",
    keyForgotten: "The key was forgotten.", registryTitle: "2. The registry", registryLabel: "Registry name", registryOpen: "Open its latest report",
    registryHint: "Lower-case letters, digits and dashes (for example simsa). Pick one of yours or type a new name.",
    registryMissing: "Choose a registry first (step 2).", registryBad: "A registry name is lower-case letters, digits and dashes, such as simsa.",
    registryLine: (r) => `${r.name}${r.private ? " (private)" : ""}: ${r.uploads} ${r.uploads === 1 ? "upload" : "uploads"}, `
      + `${r.records} own ${r.records === 1 ? "record" : "records"}, ${r.listed} ${r.listed === 1 ? "member" : "members"} listed`,
    uploadTitle: "3. Upload a registry file", fileLabel: "File (CSV, XLSX, JSON or JSON Lines)", previewButton: "Check its columns",
    fileMissing: "Choose a file first.", reading: "Reading the file…",
    previewed: (n) => `Columns read from the first ${n} rows. Check them, then match.`,
    thisRow: "This row",
    replacedDecision: (status, when) => `replaced: ${status} (${when})`,
    noDescription: "No column is read as a description: rows will be matched by name and place alone, and new ones become records with a name only. Choose the description column below.",
    mappingTitle: "4. How the columns were read", mappingHint: "Each field shows the column it was read from. Change any that is wrong, then match.",
    previewCaption: "The file's first rows", matchButton: "Match against the members", notRead: "(not read)", rowHeader: "Row",
    fields: { name: "Name", id: "Identifier", description: "Description", description_en: "Description (English)", description_fr: "Description (French)",
              city: "City", province: "Province or state", country: "Country", postal_code: "Postal code", website: "Website", phone: "Phone",
              naics: "NAICS codes", certifications: "Certifications", categories: "Categories" },
    matching: "Matching every row against the members… (a large file takes a while)",
    matched: (c) => `Matched: ${c.matched} matched, ${c.ambiguous} ambiguous, ${c.new} new, ${c.rejected} rejected.`,
    loadingReport: "Loading the report…", reportTitle: "5. Match report", showRows: "Show rows", all: "All",
    statuses: { matched: "Matched", ambiguous: "Ambiguous", new: "New", rejected: "Rejected" },
    reportSummary: (r) => `${r.file}, upload ${r.upload}${r.latest ? "" : " (not the latest)"} — columns: ${mappingText(r.mapping)}`,
    reportCaption: (n, status) => `${n} ${n === 1 ? "row" : "rows"}${status ? ` (${status})` : ""}`,
    rowsShown: (n) => `${n} ${n === 1 ? "row" : "rows"} shown.`,
    colRow: "Row", colName: "Name in the file", colStatus: "Status", colConfidence: "Confidence", colMember: "Member", colReview: "Candidates and decision",
    candidates: (n) => `Candidates (${n})`, candidatesOf: (row) => `Candidates for row ${row}`,
    candName: "Candidate", candPlace: "Place", candConfidence: "Confidence", candEvidence: "Evidence", candDecision: "Decision",
    accept: "Accept", acceptLabel: (name, row) => `Accept ${name} for row ${row}`, accepted: "Accepted",
    markNew: "Mark as new", markNewLabel: (row) => `Mark row ${row} as new (no member)`,
    decidedByPerson: "decided by a person", noCandidate: "No candidate among the members.", reason: "Reason", warnings: "Warnings",
    evidence: { name: "name", website: "website", phone: "phone", postal: "postal code", city: "city", capabilities: "capabilities" },
    agrees: "agrees", differs: "differs",
    saving: "Saving the decision…",
    decidedMatched: (row, name) => `Saved: row ${row} is now matched to ${name}; search shows the listing.`,
    decidedNew: (row) => `Saved: row ${row} is now a record of the registry's own.`,
    downloadLabel: "Download:", downloadCsv: "the report (CSV)", downloadXlsx: "the report (XLSX)",
    downloadUnmatchedCsv: "unmatched rows only (CSV)", downloadUnmatchedXlsx: "unmatched rows only (XLSX)",
    downloading: "Preparing the file…", downloaded: (name) => `Downloaded ${name}.`,
    needsTitle: "6. Suppliers for a list of needs",
    needsHint: "One need per row (a column named need or besoin, else the first column), in English or French. Suppliers are the registry's own records and the members it lists.",
    needsFile: "Needs list (CSV, XLSX, JSON or JSON Lines)", needsProvince: "Suppliers of this province first (optional)", needsLimit: "Suppliers per need",
    needsButton: "Find suppliers", needsDownload: "Download these suppliers (CSV)", needsRunning: "Finding suppliers for each need…",
    needsDone: (n) => `Suppliers found for ${n} ${n === 1 ? "need" : "needs"}.`, needsResults: "Suppliers per need", needRow: (row, text) => `Row ${row}: ${text}`,
    needCols: { rank: "Rank", supplier: "Supplier", place: "Place", score: "Score", why: "Why" },
    noSupplier: "No supplier found.", rejectedRows: "Rows not read",
  },
  fr: {
    skip: "Aller aux résultats", tagline: "Trouvez des capacités dans le réseau canadien de la fabrication de pointe",
    searchLabel: "Rechercher des capacités, en français ou en anglais", searchButton: "Rechercher", filters: "Filtres",
    clearFilters: "Effacer les filtres", results: "Résultats", previous: "Précédent", next: "Suivant",
    export: "Exporter ces résultats :", exportCut: (n) => `(les 300 meilleurs des ${n} résultats : une recherche garde ses 300 meilleurs)`, back: "← Retour aux résultats", similar: "Fiches semblables",
    listedIn: "inscrit aux registres", sampleNote: "Les profils marqués « données d'exemple » sont fictifs.", searchLogNote: "Les recherches peuvent être journalisées pour savoir ce que cherchent les membres : la requête, sa langue, les filtres, le nombre de résultats et l'heure — jamais une clé, une adresse ni un navigateur; conservées 180 jours par défaut, vues par NGen seulement.",
    switchTo: "English", switchLang: "en",
    placeholder: "p. ex. usinage 5 axes de titane, AS9100", pages: "Pages",
    found: (n, lang) => `${n} résultats, les meilleurs d'abord (langue de la requête : ${LANGUAGE_NAMES.fr[lang] || lang}).`,
    none: "Aucun résultat. Essayez d'autres mots ou moins de filtres.", loading: "Recherche…",
    page: (p, n) => `Page ${p} sur ${n}`, why: "Pourquoi ce résultat?", sample: "données d'exemple", score: "score",
    legs: { semantic: "Le sens correspond (similarité sémantique)", keyword: "Mots en commun", name: "Le nom ressemble à la requête",
            glossary: "Glossaire utilisé", cross_language: "Correction interlangue", passage: "Meilleur passage",
            boost_keyword: "Bonus des mots en commun", boost_name: "Bonus du nom", place: "Dans la province nommée par la requête",
            product: "Un produit dont elle est titulaire", boost_product: "Bonus du produit",
            explanation: "En une phrase", details: "Détails (scores)", coverage: "part de l'information de la requête" },
    facets: { kind: "Type de fiche", language: "Langue", country: "Pays", province: "Province ou territoire", type: "Type", naics: "Industrie (SCIAN)",
              certification: "Certification", sme: "PME", cluster: "Grappe", ownership: "Propriété", size: "Effectif",
              status: "Produits (SCAN Santé)" },
    attributes: { operating_name: "Nom commercial", website: "Site web", city: "Ville", province: "Province", naics: "SCIAN", certifications: "Certifications",
                  employees: "Employés", org_type: "Type", clusters: "Grappes", ownership: "Propriété",
                  focus_areas: "Créneaux", members: "Membres", asset_type: "Type d'actif", owner: "Titulaire",
                  project: "Projet NGen", ipc: "Classes CIB", licensing_status: "Statut de licence" },
    error: "Une erreur s'est produite.",
    views: "Vues", navSearch: "Recherche", navRegistries: "Registres",
    registriesTitle: "Registres",
    registriesIntro: "Téléversez le fichier d'un registre, vérifiez la lecture de ses colonnes, rapprochez-le des membres, tranchez les lignes qui demandent une personne et trouvez des fournisseurs pour une liste de besoins.",
    keyTitle: "1. Votre clé d'API", keyLabel: "Clé d'administration ou clé du registre", keyUse: "Utiliser cette clé", keyForget: "Oublier la clé",
    keyHint: "Gardée dans cet onglet seulement, jusqu'à sa fermeture.", keyMissing: "Saisissez d'abord votre clé d'API (étape 1).",
    keyKept: (names) => names.length ? `Clé gardée pour la session. Registres accessibles : ${names.join(", ")}.` : "Clé gardée pour la session. Elle n'ouvre encore aucun registre avec du contenu : saisissez un nouveau nom.",
    keyForgotten: "La clé a été oubliée.", registryTitle: "2. Le registre", registryLabel: "Nom du registre", registryOpen: "Ouvrir son dernier rapport",
    registryHint: "Lettres minuscules, chiffres et tirets (par exemple simsa). Choisissez l'un des vôtres ou saisissez un nouveau nom.",
    registryMissing: "Choisissez d'abord un registre (étape 2).", registryBad: "Un nom de registre est fait de lettres minuscules, de chiffres et de tirets, comme simsa.",
    registryLine: (r) => `${r.name}${r.private ? " (privé)" : ""} : ${r.uploads} ${r.uploads > 1 ? "téléversements" : "téléversement"}, `
      + `${r.records} ${r.records > 1 ? "fiches propres" : "fiche propre"}, ${r.listed} ${r.listed > 1 ? "membres inscrits" : "membre inscrit"}`,
    uploadTitle: "3. Téléverser le fichier d'un registre", fileLabel: "Fichier (CSV, XLSX, JSON ou JSON Lines)", previewButton: "Vérifier ses colonnes",
    fileMissing: "Choisissez d'abord un fichier.", reading: "Lecture du fichier…",
    previewed: (n) => `Colonnes lues sur les ${n} premières lignes. Vérifiez-les, puis lancez le rapprochement.`,
    thisRow: "Cette ligne",
    replacedDecision: (status, when) => `remplace : ${status} (${when})`,
    noDescription: "Aucune colonne n'est lue comme description : les lignes seront rapprochées par le nom et le lieu seuls, et les nouvelles deviendront des fiches sans texte. Choisissez la colonne de description ci-dessous.",
    mappingTitle: "4. Lecture des colonnes", mappingHint: "Chaque champ indique la colonne d'où il est lu. Corrigez ce qui est faux, puis lancez le rapprochement.",
    previewCaption: "Les premières lignes du fichier", matchButton: "Rapprocher des membres", notRead: "(non lu)", rowHeader: "Ligne",
    fields: { name: "Nom", id: "Identifiant", description: "Description", description_en: "Description (anglais)", description_fr: "Description (français)",
              city: "Ville", province: "Province ou État", country: "Pays", postal_code: "Code postal", website: "Site web", phone: "Téléphone",
              naics: "Codes SCIAN", certifications: "Certifications", categories: "Catégories" },
    matching: "Rapprochement de chaque ligne avec les membres… (un gros fichier prend du temps)",
    matched: (c) => `Rapprochement fait : ${c.matched} rapprochées, ${c.ambiguous} ambiguës, ${c.new} nouvelles, ${c.rejected} rejetées.`,
    loadingReport: "Chargement du rapport…", reportTitle: "5. Rapport de rapprochement", showRows: "Afficher les lignes", all: "Toutes",
    statuses: { matched: "Rapprochée", ambiguous: "Ambiguë", new: "Nouvelle", rejected: "Rejetée" },
    reportSummary: (r) => `${r.file}, téléversement ${r.upload}${r.latest ? "" : " (pas le dernier)"} — colonnes : ${mappingText(r.mapping)}`,
    reportCaption: (n, status) => `${n} ${n > 1 ? "lignes" : "ligne"}${status ? ` (${status})` : ""}`,
    rowsShown: (n) => `${n} ${n > 1 ? "lignes affichées" : "ligne affichée"}.`,
    colRow: "Ligne", colName: "Nom dans le fichier", colStatus: "Statut", colConfidence: "Confiance", colMember: "Membre", colReview: "Candidats et décision",
    candidates: (n) => `Candidats (${n})`, candidatesOf: (row) => `Candidats pour la ligne ${row}`,
    candName: "Candidat", candPlace: "Lieu", candConfidence: "Confiance", candEvidence: "Indices", candDecision: "Décision",
    accept: "Accepter", acceptLabel: (name, row) => `Accepter ${name} pour la ligne ${row}`, accepted: "Accepté",
    markNew: "Marquer comme nouvelle", markNewLabel: (row) => `Marquer la ligne ${row} comme nouvelle (aucun membre)`,
    decidedByPerson: "tranché par une personne", noCandidate: "Aucun candidat parmi les membres.", reason: "Motif", warnings: "Avertissements",
    evidence: { name: "nom", website: "site web", phone: "téléphone", postal: "code postal", city: "ville", capabilities: "capacités" },
    agrees: "concorde", differs: "diffère",
    saving: "Enregistrement de la décision…",
    decidedMatched: (row, name) => `Enregistré : la ligne ${row} est maintenant rapprochée de ${name}; la recherche affiche l'inscription.`,
    decidedNew: (row) => `Enregistré : la ligne ${row} est maintenant une fiche propre au registre.`,
    downloadLabel: "Télécharger :", downloadCsv: "le rapport (CSV)", downloadXlsx: "le rapport (XLSX)",
    downloadUnmatchedCsv: "les lignes non rapprochées (CSV)", downloadUnmatchedXlsx: "les lignes non rapprochées (XLSX)",
    downloading: "Préparation du fichier…", downloaded: (name) => `${name} téléchargé.`,
    needsTitle: "6. Fournisseurs pour une liste de besoins",
    needsHint: "Un besoin par ligne (une colonne nommée besoin ou need, sinon la première colonne), en français ou en anglais. Les fournisseurs sont les fiches propres au registre et les membres qu'il inscrit.",
    needsFile: "Liste de besoins (CSV, XLSX, JSON ou JSON Lines)", needsProvince: "Fournisseurs de cette province d'abord (facultatif)", needsLimit: "Fournisseurs par besoin",
    needsButton: "Trouver des fournisseurs", needsDownload: "Télécharger ces fournisseurs (CSV)", needsRunning: "Recherche de fournisseurs pour chaque besoin…",
    needsDone: (n) => `Fournisseurs trouvés pour ${n} ${n > 1 ? "besoins" : "besoin"}.`, needsResults: "Fournisseurs par besoin", needRow: (row, text) => `Ligne ${row} : ${text}`,
    needCols: { rank: "Rang", supplier: "Fournisseur", place: "Lieu", score: "Score", why: "Pourquoi" },
    noSupplier: "Aucun fournisseur trouvé.", rejectedRows: "Lignes non lues",
  },
};
// the Insights view's strings (insights.js, loaded first)
for (const language of ["en", "fr"]) Object.assign(TEXT[language], INSIGHTS_TEXT[language], SHORTLIST_TEXT[language], ALERTS_TEXT[language]);
const LANGUAGE_NAMES = {
  en: { en: "English", fr: "French", "en+fr": "Bilingual", und: "undetermined" },
  fr: { en: "Anglais", fr: "Français", "en+fr": "Bilingue", und: "indéterminée" },
};
const VALUE_NAMES = {
  en: {
    kind: { organization: "Organisation", cluster: "Cluster", ip_asset: "IP asset" },
    type: { manufacturer: "Manufacturer", technology_supplier: "Technology supplier", research: "Research", ecosystem_partner: "Ecosystem partner" },
    sme: { yes: "Yes", no: "No" },
    status: { marketed: "Marketed", approved: "Approved", dormant: "Dormant", cancelled: "Cancelled" },
    ownership: { indigenous_owned: "Indigenous-owned", women_owned: "Women-owned", visible_minority_owned: "Visible-minority-owned" },
    province: { AB: "Alberta", BC: "British Columbia", MB: "Manitoba", NB: "New Brunswick", NL: "Newfoundland and Labrador",
                NS: "Nova Scotia", NT: "Northwest Territories", NU: "Nunavut", ON: "Ontario", PE: "Prince Edward Island",
                QC: "Quebec", SK: "Saskatchewan", YT: "Yukon" },
  },
  fr: {
    kind: { organization: "Organisation", cluster: "Grappe", ip_asset: "Actif de PI" },
    type: { manufacturer: "Fabricant", technology_supplier: "Fournisseur de technologie", research: "Recherche", ecosystem_partner: "Partenaire de l'écosystème" },
    sme: { yes: "Oui", no: "Non" },
    status: { marketed: "Commercialisé", approved: "Approuvé", dormant: "Dormant", cancelled: "Annulé" },
    ownership: { indigenous_owned: "Propriété autochtone", women_owned: "Propriété féminine", visible_minority_owned: "Propriété de minorités visibles" },
    province: { AB: "Alberta", BC: "Colombie-Britannique", MB: "Manitoba", NB: "Nouveau-Brunswick", NL: "Terre-Neuve-et-Labrador",
                NS: "Nouvelle-Écosse", NT: "Territoires du Nord-Ouest", NU: "Nunavut", ON: "Ontario", PE: "Île-du-Prince-Édouard",
                QC: "Québec", SK: "Saskatchewan", YT: "Yukon" },
  },
};
const FACET_ORDER = ["kind", "language", "country", "province", "type", "naics", "certification", "sme", "cluster", "ownership", "size", "status"];
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
  $("report-pager").setAttribute("aria-label", t("pages"));
  $("views").setAttribute("aria-label", t("views"));
  showShortlistCount();
  showWatchChoices();
  const button = $("lang-switch");
  button.textContent = t("switchTo");
  button.lang = t("switchLang");
}

async function api(path, params) {
  const query = new URLSearchParams(params || []);
  query.set("lang", lang);
  // The key given in the registries view (kept for the tab's session) also opens private records.
  const headers = { "Accept-Language": lang };
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(`${path}?${query}`, { headers });
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
  if (hit.kind) badges.append(" ", shortlistButton(hit));
  item.append(el("p", { class: "snippet", lang: hit.snippet_language, html: hit.snippet_highlighted || "" }));
  if (withWhy && hit.why) item.append(renderWhy(hit));
  return item;
}

function renderWhy(hit) {
  // The reason in plain words first; each leg's figures behind a "details" toggle.
  const legs = hit.why.legs || {};
  const boosts = hit.why.boosts || {};
  const names = t("legs");
  const list = el("ul");
  if (legs.semantic !== undefined) {
    const passage = legs.passage ? ` — ${names.passage} ${legs.passage.number}/${legs.passage.of}` : "";
    const matched = legs.passage?.language || hit.snippet_language;  // the passage that matched, not the snippet's
    list.append(el("li", { text: `${names.semantic}: ${legs.semantic.toFixed(3)} (${LANGUAGE_NAMES[lang][matched] || matched})${passage}` }));
  }
  if (legs.keyword) list.append(el("li", { text: `${names.keyword}: ${legs.keyword.terms.join(", ")} (${names.coverage} ${Math.round(100 * (legs.keyword.coverage || 0))} %)` }));
  if (legs.name) list.append(el("li", { text: `${names.name}: ${legs.name.toFixed(2)}` }));
  if (legs.product) list.append(el("li", { text: `${names.product}: ${legs.product.brand} (DIN ${legs.product.din})` }));
  if (legs.glossary) list.append(el("li", { text: `${names.glossary}: ${legs.glossary.join("; ")}` }));
  if (boosts.cross_language) list.append(el("li", { text: `${names.cross_language}: +${boosts.cross_language.toFixed(3)}` }));
  if (boosts.keyword) list.append(el("li", { text: `${names.boost_keyword}: +${boosts.keyword.toFixed(3)}` }));
  if (boosts.name) list.append(el("li", { text: `${names.boost_name}: +${boosts.name.toFixed(3)}` }));
  if (boosts.product) list.append(el("li", { text: `${names.boost_product}: +${boosts.product.toFixed(3)}` }));
  if (boosts.place) list.append(el("li", { text: `${names.place}: +${boosts.place.toFixed(3)}` }));
  const details = el("details", { class: "why-details" }, el("summary", { text: names.details }), list);
  return el("details", { class: "why" }, el("summary", { text: t("why") }),
    el("p", { class: "why-plain", text: hit.explanation || "" }), details);
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

const NAV = { "registries-view": "nav-registries", "insights-view": "nav-insights", "shortlist-view": "nav-shortlist", "alerts-view": "nav-alerts" };
function showView(id) {
  for (const view of ["search-view", "record-view", ...Object.keys(NAV)]) $(view).hidden = view !== id;
  $("search-form").hidden = id in NAV;
  const active = NAV[id] || "nav-search";
  for (const link of ["nav-search", ...Object.values(NAV)]) {
    if (link === active) $(link).setAttribute("aria-current", "page"); else $(link).removeAttribute("aria-current");
  }
}

async function showSearch(params) {
  showView("search-view");
  const q = params.get("q") || "";
  $("q").value = q;
  $("alert-me").hidden = !q;  // a search that finds nothing yet is worth following too
  if (!q) { $("status").textContent = ""; $("results").replaceChildren(); $("facets").hidden = true; $("pager").hidden = true; $("export").hidden = true; return; }
  const alertParams = new URLSearchParams(params);
  alertParams.delete("offset");
  $("alert-link").href = `#/alerts?${alertParams}`;
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
    exportParams.set("limit", "300");
    exportParams.set("lang", lang);
    $("export-csv").href = `/search/export?${exportParams}&format=csv`;
    $("export-xlsx").href = `/search/export?${exportParams}&format=xlsx`;
    $("export").hidden = !body.total;
    $("export-cut").textContent = body.total > 300 ? t("exportCut")(body.total) : "";

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
  showView("record-view");
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
        : key === "naics" && Array.isArray(attrs[key]) ? naicsWithTitles(attrs)
        : key === "ownership" && Array.isArray(attrs[key]) ? attrs[key].map((v) => valueName("ownership", v))
        : attrs[key];
      if (value === undefined || value === null || (Array.isArray(value) && !value.length)) continue;
      if (key === "owner" && attrs.owner_name) {  // an IP asset's owner: its name, a link to it
        const link = el("a", { href: `#/organization/${encodeURIComponent(value)}`, text: attrs.owner_name });
        list.append(el("dt", { text: label }), el("dd", {}, link));
        continue;
      }
      // industry titles hold commas of their own ("Lumber, millwork...")
      const joiner = key === "naics" ? "; " : ", ";
      list.append(el("dt", { text: label }), el("dd", { text: Array.isArray(value) ? value.join(joiner) : String(value) }));
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

/** A record's NAICS codes, each with its title in the page's language when it is known. */
function naicsWithTitles(attrs) {
  const titles = attrs.naics_titles || {};
  return (attrs.naics || []).map((code) => (titles[code] ? `${code} · ${titles[code][lang] || titles[code].en}` : code));
}

// ---- Registries: upload, columns, match report, decisions, exports, needs lists -----------------
// Every call sends the key kept for this browser session (sessionStorage) as X-API-Key.

const KEY_STORE = "ngen-api-key";
const REPORT_PAGE = 20;
const REGISTRY_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAP_FIELDS = ["name", "id", "description", "description_en", "description_fr", "city", "province", "country",
  "postal_code", "website", "phone", "naics", "certifications", "categories"];
const STATUSES = ["matched", "ambiguous", "new", "rejected"];
const reg = { file: null, preview: null, overrides: {}, report: null, status: "", offset: 0, needs: null, needsFile: null };

function mappingText(mapping) {
  return Object.entries(mapping).map(([field, column]) => `${t("fields")[field] || field} = ${column}`).join("; ");
}
function apiKey() { return sessionStorage.getItem(KEY_STORE) || ""; }
function registryName() { return $("registry-name").value.trim(); }
function progress(text) { $("reg-status").textContent = text; }
function showError(error) {
  const box = $("reg-error");
  box.textContent = error ? (error.message || String(error)) : "";
  box.hidden = !error;
  if (error) progress("");
}

// A call with the tab's key (registries, alerts, the shortlist); throws an Error carrying the
// server's message (in the page's language).
async function registryCall(method, path, { params, body, type } = {}) {
  const query = new URLSearchParams(params || []);
  query.set("lang", lang);
  const headers = { "Accept-Language": lang, "X-API-Key": apiKey() };
  if (type) headers["Content-Type"] = type;
  const response = await fetch(`${path}?${query}`, { method, headers, body });
  if (!response.ok) {
    let message = t("error");
    try { message = (await response.json()).message || message; } catch { /* not JSON */ }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return response;
}
// The same with a JSON body, if any, and a JSON answer.
async function jsonCall(method, path, body) {
  const sent = body === undefined ? {} : { body: JSON.stringify(body), type: "application/json" };
  return (await registryCall(method, path, sent)).json();
}
function registryPath(name, ...rest) {
  return ["/registries", encodeURIComponent(name), ...rest].join("/");
}
// The key and the registry a step needs, or an error naming the step to do first.
function ready(needsRegistry = true) {
  if (!apiKey()) throw new Error(t("keyMissing"));
  const name = registryName();
  if (needsRegistry && !name) throw new Error(t("registryMissing"));
  if (needsRegistry && !REGISTRY_NAME.test(name)) throw new Error(t("registryBad"));
  return name;
}
// Run one step: its button disabled meanwhile, any error shown (and announced) in the view.
async function busy(button, work) {
  showError(null);
  if (button) button.disabled = true;
  try { await work(); } catch (error) { showError(error); } finally { if (button) button.disabled = false; }
}

async function loadRegistries() {
  const body = await (await registryCall("GET", "/registries")).json();
  $("registry-names").replaceChildren(...body.registries.map((r) => el("option", { value: r.name })));
  const lines = [];
  body.registries.forEach((r, i) => { if (i) lines.push(el("br")); lines.push(t("registryLine")(r)); });
  $("registry-list").replaceChildren(...lines);
  return body.registries;
}

// -- the columns ------------------------------------------------------------------------------------

function renderMapping() {
  const preview = reg.preview;
  const columns = preview.rows.length ? Object.keys(preview.rows[0].values) : [];
  const fields = [...MAP_FIELDS, ...Object.keys(preview.mapping).filter((f) => !MAP_FIELDS.includes(f))];
  const boxes = fields.map((field) => {
    const id = `map-${field}`;
    const guessed = preview.mapping[field] || "";
    const select = el("select", { id, name: field });
    if (!guessed) select.append(el("option", { value: "", text: t("notRead") }));
    for (const column of columns) select.append(el("option", { value: column, text: column }));
    select.value = reg.overrides[field] ?? guessed;
    const box = el("div", { class: reg.overrides[field] !== undefined ? "changed" : "" },
      el("label", { for: id, text: t("fields")[field] || field }), select);
    select.addEventListener("change", () => {
      if (select.value === guessed) delete reg.overrides[field]; else reg.overrides[field] = select.value;
      box.className = reg.overrides[field] !== undefined ? "changed" : "";
    });
    return box;
  });
  $("mapping-fields").replaceChildren(...boxes);
  const head = el("tr", {}, el("th", { scope: "col", text: t("rowHeader") }), ...columns.map((c) => el("th", { scope: "col", text: c })));
  $("preview-table").tHead.replaceChildren(head);
  $("preview-table").tBodies[0].replaceChildren(...preview.rows.map((row) => el("tr", {},
    el("th", { scope: "row", text: String(row.row) }),
    ...columns.map((c) => el("td", { text: row.values[c] === null || row.values[c] === undefined ? "" : String(row.values[c]) })))));
  $("mapping-form").hidden = false;
}

async function previewFile() {
  const name = ready();
  const file = $("registry-file").files[0];
  if (!file) throw new Error(t("fileMissing"));
  progress(t("reading"));
  const response = await registryCall("POST", registryPath(name, "uploads"),
    { params: [["filename", file.name], ["preview", "true"]], body: file, type: "application/octet-stream" });
  reg.file = file;
  reg.preview = await response.json();
  reg.overrides = {};
  renderMapping();
  progress(t("previewed")(reg.preview.rows.length));
  // a file with no description is matched by name and place alone: say so before matching
  if (!reg.preview.text_columns.length) showError(new Error(t("noDescription")));
  $("mapping-title").focus();
}

async function matchFile() {
  const name = ready();
  if (!reg.file) throw new Error(t("fileMissing"));
  progress(t("matching"));
  const params = [["filename", reg.file.name], ...Object.entries(reg.overrides).map(([f, c]) => ["map", `${f}=${c}`])];
  const done = await (await registryCall("POST", registryPath(name, "uploads"),
    { params, body: reg.file, type: "application/octet-stream" })).json();
  reg.status = "";
  reg.offset = 0;
  history.replaceState(null, "", `#/registries?registry=${encodeURIComponent(name)}`);
  await loadReport(name, String(done.upload));
  progress(t("matched")(done.counts));
  $("report-title").focus();
  loadRegistries().catch(() => {});
}

// -- the report -------------------------------------------------------------------------------------

async function loadReport(name, upload) {
  const params = [["offset", String(reg.offset)], ["limit", String(REPORT_PAGE)]];
  if (reg.status) params.push(["status", reg.status]);
  const response = await registryCall("GET", registryPath(name, "uploads", upload), { params });
  reg.report = await response.json();
  renderReport();
}

function statusBadge(status) {
  return el("span", { class: `status ${status}`, text: t("statuses")[status] || status });
}

function evidenceText(candidate) {
  const words = t("evidence");
  const parts = [`${words.name} ${candidate.name_similarity.toFixed(2)}`];
  for (const [key, agrees] of Object.entries(candidate.evidence || {})) {
    parts.push(`${words[key] || key}: ${agrees ? t("agrees") : t("differs")}`);
  }
  return parts.join(" · ");
}

function candidateTable(row) {
  const head = el("tr", {}, ...["candName", "candPlace", "candConfidence", "candEvidence", "candDecision"]
    .map((key) => el("th", { scope: "col", text: t(key) })));
  const body = row.candidate_details.map((c) => {
    const chosen = row.status === "matched" && row.match_id === c.id;
    let action = el("span", { text: chosen ? t("accepted") : "" });
    if (row.decidable && !chosen) {
      action = el("button", { type: "button", class: "accept", text: t("accept"), "aria-label": t("acceptLabel")(c.name, row.row) });
      action.addEventListener("click", () => busy(action, () => decide(row.row, "matched", c)));
    }
    return el("tr", {}, el("td", {}, c.name, el("br"), el("small", { class: "meta", text: c.id })),
      el("td", { text: placeOf(c) }), el("td", { text: c.confidence.toFixed(2) }),
      el("td", { text: evidenceText(c) }), el("td", {}, action));
  });
  return el("table", { class: "candidates" },
    el("caption", { class: "visually-hidden", text: t("candidatesOf")(row.row) }), el("thead", {}, head), el("tbody", {}, ...body));
}

function reviewCell(row) {
  const cell = el("td");
  // the row's own place and text, to compare with its candidates'
  const place = placeOf({ city: row.input_city, province: row.input_province, region: row.input_region, country: row.input_country });
  const own = [place, row.input_text].filter(Boolean).join(" — ");
  if (own && row.candidate_details.length) cell.append(el("p", { class: "meta", text: `${t("thisRow")}: ${own}` }));
  if (row.candidate_details.length) {
    const table = candidateTable(row);
    if (row.status === "ambiguous") cell.append(table);
    else cell.append(el("details", {}, el("summary", { text: t("candidates")(row.candidate_details.length) }), table));
  } else if (row.status !== "rejected") {
    cell.append(el("p", { class: "meta", text: t("noCandidate") }));
  }
  if (row.decidable && row.status !== "new") {
    const button = el("button", { type: "button", class: "mark-new link", text: t("markNew"), "aria-label": t("markNewLabel")(row.row) });
    button.addEventListener("click", () => busy(button, () => decide(row.row, "new")));
    cell.append(el("div", { class: "actions" }, button));
  }
  if (row.reason) cell.append(el("p", { class: "meta", text: `${t("reason")}: ${row.reason}` }));
  if (row.warnings) cell.append(el("p", { class: "meta", text: `${t("warnings")}: ${row.warnings}` }));
  return cell;
}

function reportRow(row) {
  const status = el("td", {}, statusBadge(row.status));
  if (row.decision) {
    status.append(el("br"), el("small", { class: "meta", text: t("decidedByPerson") }));
    // who decided and when, and the decisions it replaced
    const when = (d) => [d.by || d.decided_by, (d.decided || "").slice(0, 16).replace("T", " ")].filter(Boolean).join(", ");
    status.append(el("br"), el("small", { class: "meta", text: when(row) }));
    for (const old of row.replaced || []) {
      status.append(el("br"), el("small", { class: "meta", text: t("replacedDecision")(t("statuses")[old.status] || old.status, when(old)) }));
    }
  }
  const member = row.match_id ? el("td", {}, row.match_name, el("br"), el("small", { class: "meta", text: row.match_id })) : el("td", { text: "—" });
  const name = el("td", {}, row.input_name || "—");
  if (row.input_id) name.append(el("br"), el("small", { class: "meta", text: row.input_id }));
  return el("tr", { id: `report-row-${row.row}` },
    el("th", { scope: "row", tabindex: "-1", text: String(row.row ?? "—") }), name, status,
    el("td", { text: row.status === "rejected" ? "—" : row.confidence.toFixed(2) }), member, reviewCell(row));
}

function renderStatusOptions(counts) {
  const total = STATUSES.reduce((sum, s) => sum + (counts[s] || 0), 0);
  const options = [["", t("all"), total], ...STATUSES.map((s) => [s, t("statuses")[s], counts[s] || 0])];
  $("status-options").replaceChildren(...options.map(([value, label, count]) => {
    const id = `status-${value || "all"}`;
    const input = el("input", { type: "radio", name: "report-status", id, value });
    input.checked = value === reg.status;
    input.addEventListener("change", () => filterReport(value));
    return el("label", { for: id }, input, `${label} (${count})`);
  }));
}

function renderReport() {
  const report = reg.report;
  $("report").hidden = false;
  $("report-summary").textContent = t("reportSummary")(report);
  renderStatusOptions(report.counts);
  $("report-caption").textContent = t("reportCaption")(report.total, reg.status ? t("statuses")[reg.status] : "");
  $("report-rows").replaceChildren(...report.rows.map(reportRow));
  const pages = Math.max(1, Math.ceil(report.total / REPORT_PAGE));
  $("report-pager").hidden = report.total <= REPORT_PAGE;
  $("report-page").textContent = t("page")(Math.floor(report.offset / REPORT_PAGE) + 1, pages);
  $("report-prev").disabled = report.offset === 0;
  $("report-next").disabled = report.offset + REPORT_PAGE >= report.total;
}

async function filterReport(status) {
  reg.status = status;
  reg.offset = 0;
  showError(null);
  try {
    await loadReport(reg.report.registry, String(reg.report.upload));
    progress(t("rowsShown")(reg.report.total));
  } catch (error) { showError(error); }
}

async function reportPage(step) {
  reg.offset = Math.max(0, reg.offset + step * REPORT_PAGE);
  await loadReport(reg.report.registry, String(reg.report.upload));
  $("report-title").focus();
}

async function decide(rowNumber, status, candidate) {
  const report = reg.report;
  progress(t("saving"));
  const body = JSON.stringify(candidate ? { status, candidate: candidate.id } : { status });
  const done = await (await registryCall("POST",
    registryPath(report.registry, "uploads", String(report.upload), "rows", String(rowNumber), "decision"),
    { body, type: "application/json" })).json();
  report.counts = done.counts;
  report.rows = report.rows.map((row) => (row.row === done.row.row ? done.row : row));
  renderReport();
  progress(candidate ? t("decidedMatched")(rowNumber, candidate.name) : t("decidedNew")(rowNumber));
  document.querySelector(`#report-row-${rowNumber} th`)?.focus();
}

// A file from an authenticated GET or POST, saved through a temporary link; its name.
async function saveDownload(response, fallback) {
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || fallback;
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: name, hidden: "" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

async function downloadReport(format, status) {
  const report = reg.report;
  progress(t("downloading"));
  const params = [["format", format]];
  if (status) params.push(["status", status]);
  const response = await registryCall("GET", registryPath(report.registry, "uploads", String(report.upload), "export"), { params });
  progress(t("downloaded")(await saveDownload(response, `${report.registry}.${format}`)));
}

// -- needs lists ------------------------------------------------------------------------------------

function needsParams(file, format) {
  const params = [["filename", file.name], ["limit", $("needs-limit").value || "5"]];
  const province = $("needs-province").value.trim();
  if (province) params.push(["prefer_province", province]);
  if (format) params.push(["format", format]);
  return params;
}

async function runNeeds() {
  const name = ready();
  const file = $("needs-file").files[0];
  if (!file) throw new Error(t("fileMissing"));
  progress(t("needsRunning"));
  const response = await registryCall("POST", registryPath(name, "needs"),
    { params: needsParams(file), body: file, type: "application/octet-stream" });
  reg.needs = await response.json();
  reg.needsFile = file;
  renderNeeds();
  progress(t("needsDone")(reg.needs.needs.length));
  $("needs-results-title").focus();
}

function renderNeeds() {
  const found = reg.needs;
  const cols = t("needCols");
  const sections = found.needs.map((need) => {
    const title = el("h4", { text: t("needRow")(need.row, need.need) });
    if (!need.suppliers.length) return el("section", { class: "need" }, title, el("p", { class: "meta", text: t("noSupplier") }));
    const head = el("tr", {}, ...["rank", "supplier", "place", "score", "why"].map((k) => el("th", { scope: "col", text: cols[k] })));
    const rows = need.suppliers.map((hit, i) => el("tr", {},
      el("td", { text: String(i + 1) }),
      el("td", {}, el("a", { href: `#/${hit.kind}/${encodeURIComponent(hit.id)}`, text: hit.name })),
      el("td", { text: placeOf(hit) }), el("td", { text: hit.score.toFixed(3) }), el("td", { text: hit.explanation || "" })));
    return el("section", { class: "need" }, title, el("div", { class: "table-wrap" },
      el("table", {}, el("caption", { class: "visually-hidden", text: t("needRow")(need.row, need.need) }),
        el("thead", {}, head), el("tbody", {}, ...rows))));
  });
  if (found.rejected.length) {
    sections.push(el("section", {}, el("h4", { text: t("rejectedRows") }),
      el("ul", {}, ...found.rejected.map((e) => el("li", { text: `${e.row ?? ""} ${e.column ?? ""}: ${e.message}` })))));
  }
  $("needs-list").replaceChildren(...sections);
  $("needs-results").hidden = false;
  $("needs-download").hidden = false;
}

async function downloadNeeds() {
  const name = ready();
  progress(t("downloading"));
  const response = await registryCall("POST", registryPath(name, "needs"),
    { params: needsParams(reg.needsFile, "csv"), body: reg.needsFile, type: "application/octet-stream" });
  progress(t("downloaded")(await saveDownload(response, `${name}-needs.csv`)));
}

// -- the view ---------------------------------------------------------------------------------------

async function showRegistries(params) {
  showView("registries-view");
  $("api-key").value = apiKey();
  const name = params.get("registry") || "";
  if (name) $("registry-name").value = name;
  if (reg.preview) renderMapping();
  if (reg.needs) renderNeeds();
  if (!apiKey()) return;
  showError(null);
  try {
    await loadRegistries();
    if (!name) return;
    if (reg.report && reg.report.registry === name) {
      await loadReport(name, String(reg.report.upload));
    } else {
      reg.status = "";
      reg.offset = 0;
      progress(t("loadingReport"));
      await loadReport(name, "latest");
      progress(t("rowsShown")(reg.report.total));
    }
  } catch (error) {
    if (error.status === 404) { progress(error.message); $("report").hidden = true; reg.report = null; } else showError(error);
  }
}

function openRegistry() {
  const name = ready();
  const target = `#/registries?registry=${encodeURIComponent(name)}`;
  if (location.hash === target) { reg.report = null; return showRegistries(parseHash().params); }
  reg.report = null;
  location.hash = target;
}

function route() {
  const { path, params } = parseHash();
  if (path === "/registries") return showRegistries(params);
  if (path === "/insights") return showInsights();
  if (path === "/shortlist") return showShortlist();
  if (path === "/alerts") return showAlerts(params);
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
  progress("");  // messages of the other language
  showError(null);
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
// "Skip to results" moves the focus; as a link to #main it would leave the search's address
document.querySelector("a.skip").addEventListener("click", (event) => { event.preventDefault(); $("main").focus(); });

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  forgetKey();  // another key's shortlist is not this one's
  if (key) sessionStorage.setItem(KEY_STORE, key);
  busy(event.submitter || $("key-form").querySelector("button"), async () => {
    ready(false);
    const registries = await loadRegistries();
    progress(t("keyKept")(registries.map((r) => r.name)));
    await syncShortlist();
  });
});
$("key-forget").addEventListener("click", () => {
  forgetKey();
  $("api-key").value = "";
  $("registry-names").replaceChildren();
  $("registry-list").replaceChildren();
  showError(null);
  progress(t("keyForgotten"));
});
$("registry-form").addEventListener("submit", (event) => {
  event.preventDefault();
  try { openRegistry(); } catch (error) { showError(error); }
});
$("upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy(event.submitter, previewFile);
});
$("mapping-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("match-button"), matchFile);
});
$("report-prev").addEventListener("click", (event) => busy(event.currentTarget, () => reportPage(-1)));
$("report-next").addEventListener("click", (event) => busy(event.currentTarget, () => reportPage(1)));
document.querySelectorAll("[data-download]").forEach((button) => {
  button.addEventListener("click", () => busy(button, () => downloadReport(button.dataset.download, button.dataset.status)));
});
$("needs-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy(event.submitter, runNeeds);
});
$("needs-download").addEventListener("click", (event) => busy(event.currentTarget, downloadNeeds));
$("mapping-title").setAttribute("tabindex", "-1");
bindInsights();
bindShortlist();
bindAlerts();
applyLanguage();
route();
