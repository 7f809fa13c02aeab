"use strict";
// Alerts (#/alerts): saved searches and SCAN Health watches owned by the tab's key (a personal
// token, a registry's key or the admin key). A search's "alert me" link opens this view with its
// query and filters; "check now" runs the saved search once and lists what is new since the last
// check; each alert's Atom feed is a link any feed reader follows (its address carries a secret
// that reads that feed only, never the key). Loaded before app.js, whose helpers it uses.

const ALERTS_TEXT = {
  en: {
    navAlerts: "Alerts", alertsTitle: "Alerts",
    alertsIntro: "A saved search tells you what is new: the records that pass it now and did not at the last check, after any index write, registry upload or SCAN Health import. Every alert has an Atom feed a feed reader can follow.",
    alertsKeyTitle: "Your key", alertsKeyLabel: "A personal token, a registry's key or the admin key",
    alertsKeyHint: "Kept in this browser tab only, until it is closed. Your alerts and your shortlist belong to it.",
    alertsNeedKey: "Alerts belong to a key: give yours below.", alertsKeyKept: "Key kept for this tab.",
    alertNewTitle: "Follow a search", alertQueryLabel: "Search to follow", alertNameLabel: "Name (optional)",
    alertFilters: (text) => `With the filters: ${text}.`, alertSave: "Save the alert",
    watchTitle: "Or watch SCAN Health products", watchWhatLabel: "What to watch", watchValueLabel: "Its name",
    watchWhat: { ingredient: "Active ingredient", brand: "Brand", company: "Licence holder" }, watchSave: "Watch",
    alertsListTitle: "Your alerts", alertsEmpty: "No alerts yet.",
    alertSaved: (name) => `Alert “${name}” saved: it follows what the search finds from now on.`,
    watchSaved: (name) => `Watch “${name}” saved: it follows these products' status from now on.`,
    watchNone: (name) => `Watch “${name}” saved, but no marketed or other product is named so today: check the spelling (it will list any that appear).`,
    keyUnknown: (message) => `This key was not kept: ${message}`,
    alertCheck: "Check now", alertDelete: "Delete", alertFeed: "Atom feed",
    alertCheckLabel: (name) => `Check ${name} now`, alertDeleteLabel: (name) => `Delete ${name}`, alertFeedLabel: (name) => `Atom feed of ${name}`,
    alertDeleted: (name) => `Alert “${name}” deleted.`,
    alertNew: (n) => (n ? `${n} new since the last check:` : "Nothing new since the last check."),
    alertEarlier: "Found by earlier checks:",
    alertWatching: (what, value) => `watches the ${what.toLowerCase()} “${value}”`,
    alertMeta: (a) => `${isWatch(a) ? "" : `“${a.query}”${searchFilters(a)} · `}${a.watching} ${isWatch(a) ? (a.watching === 1 ? "product" : "products") : (a.watching === 1 ? "record" : "records")} followed · last checked ${when(a.checked || a.created)}`,
    alertFromSearch: "Alert me about new results",
  },
  fr: {
    navAlerts: "Alertes", alertsTitle: "Alertes",
    alertsIntro: "Une recherche enregistrée vous dit ce qui est nouveau : les fiches qu'elle trouve maintenant et ne trouvait pas à la dernière vérification, après toute écriture dans l'index, tout dépôt de registre ou toute importation de SCAN Santé. Chaque alerte a un fil Atom qu'un lecteur de fils peut suivre.",
    alertsKeyTitle: "Votre clé", alertsKeyLabel: "Un jeton personnel, la clé d'un registre ou la clé d'administration",
    alertsKeyHint: "Gardée dans cet onglet seulement, jusqu'à sa fermeture. Vos alertes et votre liste restreinte lui appartiennent.",
    alertsNeedKey: "Les alertes appartiennent à une clé : donnez la vôtre ci-dessous.", alertsKeyKept: "Clé gardée pour cet onglet.",
    alertNewTitle: "Suivre une recherche", alertQueryLabel: "Recherche à suivre", alertNameLabel: "Nom (facultatif)",
    alertFilters: (text) => `Avec les filtres : ${text}.`, alertSave: "Enregistrer l'alerte",
    watchTitle: "Ou surveiller des produits de SCAN Santé", watchWhatLabel: "Quoi surveiller", watchValueLabel: "Son nom",
    watchWhat: { ingredient: "Ingrédient actif", brand: "Marque", company: "Titulaire de licence" }, watchSave: "Surveiller",
    alertsListTitle: "Vos alertes", alertsEmpty: "Aucune alerte pour l'instant.",
    alertSaved: (name) => `Alerte « ${name} » enregistrée : elle suit ce que la recherche trouve à partir de maintenant.`,
    watchSaved: (name) => `Veille « ${name} » enregistrée : elle suit l'état de ces produits à partir de maintenant.`,
    watchNone: (name) => `Veille « ${name} » enregistrée, mais aucun produit ne porte ce nom aujourd'hui : vérifiez l'orthographe (elle signalera ceux qui apparaîtront).`,
    keyUnknown: (message) => `Cette clé n'a pas été gardée : ${message}`,
    alertCheck: "Vérifier maintenant", alertDelete: "Supprimer", alertFeed: "Fil Atom",
    alertCheckLabel: (name) => `Vérifier ${name} maintenant`, alertDeleteLabel: (name) => `Supprimer ${name}`, alertFeedLabel: (name) => `Fil Atom de ${name}`,
    alertDeleted: (name) => `Alerte « ${name} » supprimée.`,
    alertNew: (n) => (n ? `${n} ${n === 1 ? "nouveauté" : "nouveautés"} depuis la dernière vérification :` : "Rien de nouveau depuis la dernière vérification."),
    alertEarlier: "Trouvé aux vérifications précédentes :",
    alertWatching: (what, value) => `surveille « ${value} » (${what.toLowerCase()})`,
    alertMeta: (a) => `${isWatch(a) ? "" : `« ${a.query} »${searchFilters(a)} · `}${a.watching} ${isWatch(a) ? (a.watching > 1 ? "produits suivis" : "produit suivi") : (a.watching > 1 ? "fiches suivies" : "fiche suivie")} · vérifiée le ${when(a.checked || a.created)}`,
    alertFromSearch: "M'alerter des nouveaux résultats",
  },
};

const isWatch = (alert) => Boolean(alert.watch && Object.keys(alert.watch).length);
// An alert's filters and kinds as a person reads them, in the page's language.
function filtersText(filters, kinds) {
  const parts = Object.entries(filters || {}).map(([key, values]) => `${t("facets")[key] || key} = ${values.map((v) => valueName(key, v)).join(", ")}`);
  if (kinds && kinds.length) parts.unshift(`${t("facets").kind} = ${kinds.map((k) => valueName("kind", k)).join(", ")}`);
  return parts.join("; ");
}
function searchFilters(alert) {
  const text = filtersText(alert.filters, alert.kinds);
  return text ? ` (${text})` : "";
}

// A date and time as the page's language writes them.
function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso || "—" : date.toLocaleString(lang === "fr" ? "fr-CA" : "en-CA", { dateStyle: "medium", timeStyle: "short" });
}

// The search an "alert me" link carries: its query, its kinds, the rest as filters.
function alertSearch(params) {
  const filters = {};
  const kinds = [];
  for (const [key, value] of params) {
    if (key === "kind") kinds.push(value);
    else if (key !== "q" && key !== "offset") (filters[key] = filters[key] || []).push(value);
  }
  return { query: params.get("q") || "", filters, kinds };
}
let alertDraft = { query: "", filters: {}, kinds: [] };

function alertsStatus(text, error = false) {
  $("alerts-status").textContent = error ? "" : text;
  $("alerts-error").textContent = error ? text : "";
  $("alerts-error").hidden = !error;
}

function findingLink(finding) {
  const [kind, ...rest] = finding.key.split(":");
  return DETAIL_PATH[kind] ? el("a", { href: `#/${kind}/${encodeURIComponent(rest.join(":"))}`, text: finding.name }) : finding.name;
}

function renderAlert(alert) {
  const watched = Object.entries(alert.watch || {});
  const colon = lang === "fr" ? " : " : ": ";  // French sets a space before a colon
  const watchedName = watched.length ? `${t("watchWhat")[watched[0][0]]}${colon}${watched[0][1]}` : "";
  const name = alert.name || alert.query || watchedName;
  const item = el("li", { class: "alert-item" });
  // a named watch also says what it watches
  const what = watched.length && alert.name ? ` — ${t("alertWatching")(t("watchWhat")[watched[0][0]], watched[0][1])}` : "";
  item.append(el("h4", { text: name + what }), el("p", { class: "meta", text: t("alertMeta")(alert) }));
  const found = el("div", { class: "alert-found", role: "status" });
  const check = el("button", { type: "button", text: t("alertCheck"), "aria-label": t("alertCheckLabel")(name) });
  check.addEventListener("click", () => runCheck(check, async () => {
    const answer = await jsonCall("GET", `/alerts/${encodeURIComponent(alert.id)}/new`);
    found.replaceChildren(el("p", { text: t("alertNew")(answer.new.length) }),
      el("ul", {}, ...answer.new.map((f) => el("li", {}, findingLink(f)))));
    item.querySelector(".meta").textContent = t("alertMeta")(answer.alert);
  }).then(() => check.focus()));
  const remove = el("button", { type: "button", class: "link", text: t("alertDelete"), "aria-label": t("alertDeleteLabel")(name) });
  remove.addEventListener("click", () => runCheck(remove, async () => {
    await jsonCall("DELETE", `/alerts/${encodeURIComponent(alert.id)}`);
    await loadAlerts();
    alertsStatus(t("alertDeleted")(name));
    $("alerts-list-title").focus();
  }));
  // an alert of the command line's has no feed (it reads with the machine's rights)
  const feed = alert.feed ? el("a", { href: alert.feed, text: t("alertFeed"),
    "aria-label": t("alertFeedLabel")(name), class: "feed", type: "application/atom+xml" }) : "";
  item.append(el("p", { class: "field-row" }, check, remove, feed), found);
  const earlier = (alert.findings || []).slice(0, 10);
  if (earlier.length) {
    found.append(el("p", { class: "hint", text: t("alertEarlier") }),
      el("ul", {}, ...earlier.map((f) => el("li", {}, findingLink(f), ` · ${when(f.found)}`))));
  }
  return item;
}

async function runCheck(button, work) {
  alertsStatus("");
  button.disabled = true;
  try { await work(); } catch (error) { alertsStatus(error.message, true); } finally { button.disabled = false; }
}

async function loadAlerts() {
  const hasKey = Boolean(sessionStorage.getItem(KEY_STORE));
  $("alert-forms").hidden = !hasKey;
  if (!hasKey) { $("alerts-list").replaceChildren(); alertsStatus(t("alertsNeedKey")); return; }
  const { alerts } = await jsonCall("GET", "/alerts");
  $("alerts-list").replaceChildren(...(alerts.length ? alerts.map(renderAlert) : [el("li", { class: "meta", text: t("alertsEmpty") })]));
}

function showAlertDraft() {
  $("alert-query").value = alertDraft.query;
  const text = filtersText(alertDraft.filters, alertDraft.kinds);
  $("alert-filters").textContent = text ? t("alertFilters")(text) : "";
}

function showAlerts(params) {
  showView("alerts-view");
  if (params.get("q")) alertDraft = alertSearch(params);
  showAlertDraft();
  $("alerts-key").value = "";
  alertsStatus("");
  loadAlerts().catch((error) => alertsStatus(error.message, true));
}

// The tab forgets its key, and the shortlist it kept for it (which stays on the server).
function forgetKey() {
  sessionStorage.removeItem(KEY_STORE);
  if (sessionStorage.getItem(SHORTLIST_KEPT)) { sessionStorage.removeItem(SHORTLIST_KEPT); keepLocally([]); }
}

function bindAlerts() {
  $("alerts-key-forget").addEventListener("click", () => {
    forgetKey();
    $("alerts-key").value = "";
    loadAlerts().then(() => alertsStatus(t("keyForgotten")));
  });
  $("alerts-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("alerts-key").value.trim();
    forgetKey();  // another key's shortlist is not this one's
    if (key) sessionStorage.setItem(KEY_STORE, key);
    $("alerts-key").value = "";
    runCheck(event.submitter, async () => {
      try { await loadAlerts(); } catch (error) {  // a key no one issued is not kept
        forgetKey();
        $("alert-forms").hidden = true;
        throw new Error(t("keyUnknown")(error.message));
      }
      if (key) alertsStatus(t("alertsKeyKept"));
      await syncShortlist();
    });
  });
  // a query typed here is a new search: the filters carried from a search no longer apply
  $("alert-query").addEventListener("input", () => {
    if ($("alert-query").value.trim() !== alertDraft.query) { alertDraft = { query: "", filters: {}, kinds: [] }; $("alert-filters").textContent = ""; }
  });
  $("alert-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { query: $("alert-query").value.trim(), name: $("alert-name").value.trim() };
    if (alertDraft.query === body.query) { body.filters = alertDraft.filters; body.kinds = alertDraft.kinds; }
    runCheck(event.submitter, async () => {
      const alert = await jsonCall("POST", "/alerts", body);
      $("alert-name").value = "";
      await loadAlerts();
      alertsStatus(t("alertSaved")(alert.name || alert.query));
      $("alerts-status").focus();
    });
  });
  $("watch-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { watch: { [$("watch-what").value]: $("watch-value").value.trim() }, name: $("alert-name").value.trim() };
    runCheck(event.submitter, async () => {
      const alert = await jsonCall("POST", "/alerts", body);
      $("watch-value").value = "";
      await loadAlerts();
      const named = alert.name || Object.values(alert.watch)[0];
      alertsStatus(alert.watching ? t("watchSaved")(named) : t("watchNone")(named));
      $("alerts-status").focus();
    });
  });
}

// The watch form's choices, in the page's language.
function showWatchChoices() {
  const select = $("watch-what");
  const chosen = select.value || "ingredient";
  select.replaceChildren(...Object.entries(t("watchWhat")).map(([value, label]) => el("option", { value, text: label })));
  select.value = chosen;
}
