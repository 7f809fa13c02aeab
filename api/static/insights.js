"use strict";
// NGen Connect Insights view (#/insights): where the network has a capability (a tile map of the
// provinces and territories), what members look for and do not find (admin key), SCAN Health's
// supply resilience and each cluster's reach. Charts are Vega-Lite specs drawn by vega-embed, which
// the server bundles offline (/vendor/vega.js, loaded on first use); every chart has its table
// beside it, for screen readers and for copying. Loaded before app.js, whose helpers it uses.

const INSIGHTS_TEXT = {
  en: {
    navInsights: "Insights", insightsTitle: "Insights",
    insightsIntro: "What the network's information says: where a capability is found and where it is missing, what members search for without finding it, which health products depend on one licence holder, and how far each cluster reaches.",
    coverageTitle: "Where the network has a capability", coverageKind: "Or another capability", coverageValue: "Code, term or search",
    kinds: { naics: "NAICS code or prefix", group: "Glossary term", query: "Any search" },
    coverageGap: "A gap is fewer than", coverageShow: "Show", coveragePick: "A manufacturing code in the index",
    coverageCaption: (label) => `Organisations with ${label}, by province and territory`,
    area: "Province or territory", organizations: "Organisations", gap: "Gap", yes: "yes", no: "no",
    gapsLine: (n, names) => n ? `${n} with a gap: ${names}.` : "No province or territory has a gap.",
    outsideLine: (outside, unknown) => `Outside Canada: ${outside}. Province unknown: ${unknown}.`,
    cappedNote: "The search's result set is full: more organisations may have it.",
    mapLabel: (label) => `Map of Canada's provinces and territories shaded by the number of organisations with ${label}; the table beside it gives the figures.`,
    demandTitle: "What members look for", demandNeedsKey: "Enter the admin key in the Registries view (step 1) to see what members search for.",
    topQueries: "Most searched", unmetQueries: "Searched, not found (no or few results)", query: "Search", searches: "Searches",
    unmetCount: "Not found", variants: "Variants", demandEmpty: "No searches logged yet.",
    demandSummary: (d) => `${d.searches} searches, ${d.unmet} of them with fewer than ${d.few_results} results; ${d.distinct_queries} distinct queries in ${d.groups} needs.`,
    demandLabel: (title) => `Bar chart: ${title}; the table beside it gives the figures.`,
    resilienceTitle: "SCAN Health: supply resilience",
    resilienceHidden: "The scan-health registry is not readable with this key, or has not been imported.",
    levels: { ingredient: "Active ingredients", ingredient_form_route: "Ingredient, form and route", atc: "ATC classes" },
    level: "Level", lines: "Marketed", single: "A single holder", noCanadian: "No Canadian holder", both: "Both",
    resilienceLabel: "Bar chart of marketed active ingredients, forms and ATC classes with a single licence holder or no Canadian holder; the table beside it gives the figures.",
    singleAbroadCaption: "Active ingredients with a single holder, outside Canada",
    ingredient: "Active ingredient", holder: "Holder", country: "Country",
    lostTitle: "Lost at the last import", exportAll: "Export every line:",
    reachTitle: "Cluster reach", cluster: "Cluster", members: "Members", inside: "In its province", outside: "Outside its province",
    provinces: "Provinces", reachLabel: "Bar chart of each cluster's members in and outside its province; the table beside it gives the figures.",
    chartsUnavailable: "The charts could not be drawn; the tables give the figures.",
    loadingInsights: "Loading…",
  },
  fr: {
    navInsights: "Analyses", insightsTitle: "Analyses",
    insightsIntro: "Ce que disent les données du réseau : où une capacité se trouve et où elle manque, ce que les membres cherchent sans le trouver, quels produits de santé dépendent d'un seul titulaire, et jusqu'où s'étend chaque grappe.",
    coverageTitle: "Où le réseau a une capacité", coverageKind: "Ou une autre capacité", coverageValue: "Code, terme ou recherche",
    kinds: { naics: "Code ou préfixe SCIAN", group: "Terme du glossaire", query: "Toute recherche" },
    coverageGap: "Une lacune : moins de", coverageShow: "Afficher", coveragePick: "Un code de fabrication présent dans l'index",
    coverageCaption: (label) => `Organisations avec ${label}, par province et territoire`,
    area: "Province ou territoire", organizations: "Organisations", gap: "Lacune", yes: "oui", no: "non",
    gapsLine: (n, names) => n ? `${n} avec une lacune : ${names}.` : "Aucune province ni aucun territoire n'a de lacune.",
    outsideLine: (outside, unknown) => `Hors du Canada : ${outside}. Province inconnue : ${unknown}.`,
    cappedNote: "Les résultats de la recherche sont complets : d'autres organisations peuvent l'avoir.",
    mapLabel: (label) => `Carte des provinces et territoires du Canada selon le nombre d'organisations avec ${label}; le tableau voisin donne les chiffres.`,
    demandTitle: "Ce que cherchent les membres", demandNeedsKey: "Entrez la clé d'administration dans la vue Registres (étape 1) pour voir ce que cherchent les membres.",
    topQueries: "Les plus cherchées", unmetQueries: "Cherchées, non trouvées (peu ou pas de résultats)", query: "Recherche", searches: "Recherches",
    unmetCount: "Non trouvées", variants: "Variantes", demandEmpty: "Aucune recherche enregistrée pour l'instant.",
    demandSummary: (d) => `${d.searches} recherches, dont ${d.unmet} avec moins de ${d.few_results} résultats; ${d.distinct_queries} requêtes distinctes en ${d.groups} besoins.`,
    demandLabel: (title) => `Diagramme à barres : ${title}; le tableau voisin donne les chiffres.`,
    resilienceTitle: "SCAN Santé : résilience de l'approvisionnement",
    resilienceHidden: "Le registre scan-health n'est pas lisible avec cette clé, ou n'a pas été importé.",
    levels: { ingredient: "Ingrédients actifs", ingredient_form_route: "Ingrédient, forme et voie", atc: "Classes ATC" },
    level: "Niveau", lines: "Commercialisés", single: "Un seul titulaire", noCanadian: "Aucun titulaire canadien", both: "Les deux",
    resilienceLabel: "Diagramme à barres des ingrédients actifs, formes et classes ATC commercialisés avec un seul titulaire ou sans titulaire canadien; le tableau voisin donne les chiffres.",
    singleAbroadCaption: "Ingrédients actifs à titulaire unique, hors du Canada",
    ingredient: "Ingrédient actif", holder: "Titulaire", country: "Pays",
    lostTitle: "Perdus à la dernière importation", exportAll: "Exporter toutes les lignes :",
    reachTitle: "Portée des grappes", cluster: "Grappe", members: "Membres", inside: "Dans sa province", outside: "Hors de sa province",
    provinces: "Provinces", reachLabel: "Diagramme à barres des membres de chaque grappe dans sa province et hors de celle-ci; le tableau voisin donne les chiffres.",
    chartsUnavailable: "Les graphiques n'ont pas pu être dessinés; les tableaux donnent les chiffres.",
    loadingInsights: "Chargement…",
  },
};

// A tile grid of Canada: each province or territory one square, placed roughly where it lies.
const TILES = {
  YT: [0, 0], NT: [1, 0], NU: [2, 0], NL: [6, 0],
  BC: [0, 1], AB: [1, 1], SK: [2, 1], MB: [3, 1], ON: [4, 1], QC: [5, 1], PE: [6, 1],
  NB: [5, 2], NS: [6, 2],
};

const insights = { coverage: null, picked: "" };
let vegaLoading = null;

function loadVega() {
  // a module script: the bundle's top-level names stay out of the page's global scope
  if (!vegaLoading) {
    vegaLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.type = "module";
      script.src = "/vendor/vega.js";
      script.onload = () => resolve(window.vegaEmbed);
      script.onerror = () => reject(new Error(t("chartsUnavailable")));
      document.head.append(script);
    });
  }
  return vegaLoading;
}

async function drawChart(container, spec, label) {
  delete container.dataset.drawn;
  try {
    const embed = await loadVega();
    await embed(container, { $schema: "https://vega.github.io/schema/vega-lite/v6.json", description: label, ...spec },
      { actions: false, renderer: "svg" });
    container.setAttribute("aria-label", label);  // what it shows; the table beside it has the figures
    container.dataset.drawn = "true";
  } catch (error) {
    container.replaceChildren(el("p", { class: "meta", text: t("chartsUnavailable") }));
  }
}

function table(id, caption, headers, rows) {
  const node = $(id);
  node.replaceChildren(
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", { text: String(c) }))))),
  );
}

function insightsError(error) {
  const box = $("ins-error");
  box.textContent = error ? (error.message || String(error)) : "";
  box.hidden = !error;
}

function areaName(area) { return lang === "fr" ? area.name_fr : area.name_en; }
function capabilityLabel(c) { return (lang === "fr" ? c.label_fr : c.label_en) || c.value; }

// -- coverage ------------------------------------------------------------------------------------

async function loadCoverage(params) {
  const body = await api("/insights/coverage", params);
  if (!params) {
    insights.coverage = body;
    const pick = $("coverage-pick");
    pick.replaceChildren(...body.capabilities.map((c) =>
      el("option", { value: c.value, text: `${capabilityLabel(c)} (${c.organizations})` })));
    if (insights.picked) pick.value = insights.picked;
  }
  return body;
}

function showCoverage(report, capability) {
  const label = capabilityLabel(capability);
  const areas = report.areas.filter((a) => TILES[a.code]);
  const values = areas.map((a) => ({
    code: a.code, name: areaName(a), x: TILES[a.code][0], y: TILES[a.code][1],
    count: capability.areas[a.code] || 0,
  }));
  const spec = {
    width: 7 * 62, height: 3 * 62, data: { values },
    encoding: {
      x: { field: "x", type: "ordinal", axis: null }, y: { field: "y", type: "ordinal", axis: null },
    },
    layer: [
      { mark: { type: "rect", stroke: "#fff", strokeWidth: 3, cornerRadius: 4 },
        encoding: { color: { field: "count", type: "quantitative", scale: { scheme: "blues", domainMin: 0 },
                             legend: { title: t("organizations") } },
                    tooltip: [{ field: "name" }, { field: "count", title: t("organizations") }] } },
      { mark: { type: "text", dy: -8, fontWeight: "bold" }, encoding: { text: { field: "code" },
        color: { condition: { test: "datum.count > 0", value: "#1b1b1b" }, value: "#a4000f" } } },
      { mark: { type: "text", dy: 10 }, encoding: { text: { field: "count" } } },
    ],
    config: { view: { stroke: null } },
  };
  drawChart($("coverage-map"), spec, t("mapLabel")(label));
  const gaps = new Set(capability.gaps);
  table("coverage-table", t("coverageCaption")(label), [t("area"), t("organizations"), t("gap")],
    areas.map((a) => [areaName(a), capability.areas[a.code] || 0, gaps.has(a.code) ? t("yes") : t("no")]));
  const names = areas.filter((a) => gaps.has(a.code)).map(areaName).join(", ");
  $("coverage-gaps").textContent = `${t("gapsLine")(gaps.size, names)} ${t("outsideLine")(
    capability.areas.outside || 0, capability.areas.unknown || 0)}${capability.capped ? " " + t("cappedNote") : ""}`;
}

async function coverageAsked(event) {
  if (event) event.preventDefault();
  const value = $("coverage-value").value.trim();
  const params = new URLSearchParams([["gap", $("coverage-gap").value || "1"]]);
  if (!value) {  // the manufacturing code picked in the list
    insights.picked = $("coverage-pick").value;
    const report = insights.coverage || await loadCoverage();
    const capability = report.capabilities.find((c) => c.value === insights.picked) || report.capabilities[0];
    if (capability) {
      params.set("naics", capability.value);
      const one = await api("/insights/coverage", params);
      showCoverage(one, one.capabilities[0]);
    }
    return;
  }
  params.set($("coverage-kind").value, value);
  const report = await api("/insights/coverage", params);
  showCoverage(report, report.capabilities[0]);
}

// -- search demand (admin key) -----------------------------------------------------------------

function demandChart(id, groups, field, title) {
  const values = groups.slice(0, 10).map((g) => ({ query: g.query, n: g[field] }));
  const most = Math.max(1, ...values.map((v) => v.n));
  // whole searches: every count marked when there are few, else whole-number ticks
  const axis = most <= 10 ? { values: Array.from({ length: most + 1 }, (_, i) => i), format: "d" } : { format: "d" };
  drawChart($(id), {
    width: 320, height: { step: 18 }, data: { values }, mark: { type: "bar", color: field === "unmet" ? "#c05a00" : "#0b5cad" },
    encoding: {
      y: { field: "query", type: "nominal", title: null, sort: "-x", axis: { labelLimit: 200 } },
      x: { field: "n", type: "quantitative", title: t("searches"), axis },
      tooltip: [{ field: "query" }, { field: "n", title: t("searches") }],
    },
  }, t("demandLabel")(title));
}

async function showDemand() {
  const note = $("demand-note");
  $("demand-body").hidden = true;
  if (!apiKey()) { note.textContent = t("demandNeedsKey"); return; }
  let body;
  try { body = await api("/insights/demand"); } catch (error) { note.textContent = t("demandNeedsKey"); return; }
  if (!body.searches) { note.textContent = t("demandEmpty"); return; }
  note.textContent = t("demandSummary")(body);
  $("demand-body").hidden = false;
  demandChart("demand-top-chart", body.top, "searches", t("topQueries"));
  table("demand-top-table", t("topQueries"), [t("query"), t("searches"), t("unmetCount")],
    body.top.slice(0, 10).map((g) => [g.query, g.searches, g.unmet]));
  demandChart("demand-unmet-chart", body.unmet_queries, "unmet", t("unmetQueries"));
  table("demand-unmet-table", t("unmetQueries"), [t("query"), t("unmetCount"), t("variants")],
    body.unmet_queries.slice(0, 10).map((g) => [g.query, g.unmet, g.variants.join(" · ")]));
}

// -- SCAN Health resilience --------------------------------------------------------------------

async function showResilience() {
  let body;
  try {
    body = await api("/scan-health/resilience", [["only", "single-abroad"], ["limit", "25"]]);
  } catch (error) {
    $("resilience-body").hidden = true;
    $("resilience-note").textContent = t("resilienceHidden");
    return;
  }
  $("resilience-body").hidden = false;
  $("resilience-note").textContent = body.notice[lang] || body.notice.en;
  const levels = Object.entries(body.summary);
  const values = levels.flatMap(([level, counts]) => [
    { level: t("levels")[level], what: t("single"), n: counts.single_holder },
    { level: t("levels")[level], what: t("noCanadian"), n: counts.no_canadian_holder },
  ]);
  drawChart($("resilience-chart"), {
    width: 360, height: { step: 16 }, data: { values },
    mark: "bar",
    encoding: {
      y: { field: "level", type: "nominal", title: null, sort: null },
      yOffset: { field: "what" }, x: { field: "n", type: "quantitative", title: null },
      color: { field: "what", type: "nominal", title: null, legend: { orient: "bottom" } },
      tooltip: [{ field: "level" }, { field: "what" }, { field: "n" }],
    },
  }, t("resilienceLabel"));
  table("resilience-table", t("resilienceTitle"), [t("level"), t("lines"), t("single"), t("noCanadian"), t("both")],
    levels.map(([level, c]) => [t("levels")[level], c.lines, c.single_holder, c.no_canadian_holder, c.single_and_abroad]));
  table("single-abroad-table", t("singleAbroadCaption"), [t("ingredient"), t("holder"), t("country")],
    body.lines.map((line) => [lang === "fr" ? line.label_fr : line.label, line.holder_names,
      line.countries_abroad.split("; ").map((part) => countryName(part.split(" ")[0])).join(", ")]));
  const lost = (body.last_import && body.last_import.losses) || [];
  $("resilience-lost").hidden = !lost.length;
  $("resilience-lost-list").replaceChildren(...lost.slice(0, 20).map((l) => el("li", { text: l.sentence[lang] })));
  const query = new URLSearchParams([["only", "single-abroad"], ["lang", lang]]);
  $("resilience-csv").href = `/scan-health/resilience/export?${query}&format=csv`;
  $("resilience-xlsx").href = `/scan-health/resilience/export?${query}&format=xlsx`;
}

// -- cluster reach -------------------------------------------------------------------------------

async function showReach() {
  const body = await api("/insights/reach");
  const clusters = body.clusters.filter((c) => c.members);
  const values = clusters.flatMap((c) => [
    { cluster: c.name, where: t("inside"), n: c.members - c.outside_region.length },
    { cluster: c.name, where: t("outside"), n: c.outside_region.length },
  ]);
  drawChart($("reach-chart"), {
    width: 360, height: { step: 14 }, data: { values }, mark: "bar",
    encoding: {
      y: { field: "cluster", type: "nominal", title: null, sort: "-x", axis: { labelLimit: 220 } },
      x: { field: "n", type: "quantitative", stack: "zero", title: t("members") },
      color: { field: "where", type: "nominal", title: null, legend: { orient: "bottom" } },
      tooltip: [{ field: "cluster" }, { field: "where" }, { field: "n" }],
    },
  }, t("reachLabel"));
  table("reach-table", t("reachTitle"), [t("cluster"), t("members"), t("provinces"), t("outside")],
    body.clusters.map((c) => [c.name, c.members, Object.keys(c.members_by_province).join(", "), c.outside_region.length]));
}

async function showInsights() {
  showView("insights-view");
  insightsError(null);
  document.querySelectorAll("#insights-view .chart").forEach((chart) => { delete chart.dataset.drawn; });
  const kind = $("coverage-kind").value;  // kept when the options are written in another language
  $("coverage-kind").replaceChildren(...Object.entries(t("kinds")).map(([value, text]) =>
    el("option", { value, text })));
  if (kind) $("coverage-kind").value = kind;
  const parts = [
    (async () => { await loadCoverage(); await coverageAsked(); })(),
    showResilience(),
    showReach(),
  ];
  parts.push(showDemand());
  const failed = (await Promise.allSettled(parts)).find((p) => p.status === "rejected");
  if (failed) insightsError(failed.reason);
}

function bindInsights() {
  $("coverage-form").addEventListener("submit", (event) => coverageAsked(event).catch(insightsError));
  $("coverage-pick").addEventListener("change", () => {
    $("coverage-value").value = "";
    coverageAsked().catch(insightsError);
  });
}
