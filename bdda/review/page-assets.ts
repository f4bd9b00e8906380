/**
 * The review page's style and script, inlined into every page: the page is one file that needs
 * nothing from the network, and its content reads without the script, which only filters the
 * resource table and folds the Kubernetes diffs.
 */

export const PAGE_STYLE = `
:root { --ink: #1b1f24; --muted: #4a5361; --line: #d0d7de; --paper: #ffffff; --soft: #f6f8fa;
  --sync: #dafbe1; --sync-ink: #116329; --change: #fff1c2; --change-ink: #6b4a00; --preview: #ddf4ff; --preview-ink: #0a4a8c;
  --wait: #eaeef2; --wait-ink: #3d444d; --bad: #ffebe9; --bad-ink: #a40e26; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--paper); }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
code, pre, .address { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .875em; }
pre { background: var(--soft); border: 1px solid var(--line); padding: .5rem; overflow-x: auto; margin: .25rem 0; }
a { color: #0550ae; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.stale { color: var(--bad-ink); background: var(--bad); padding: 0 .3rem; border-radius: 3px; }
.fresh { color: var(--sync-ink); }
.cake { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-direction: column; align-items: center; gap: 3px; }
.cake li { border: 2px solid; border-radius: 6px; padding: .5rem 1rem; text-align: center; }
.cake li:nth-child(1) { width: 60%; } .cake li:nth-child(2) { width: 80%; } .cake li:nth-child(3) { width: 100%; }
.cake .label { font-weight: 700; letter-spacing: .05em; }
.state-in-sync { background: var(--sync); color: var(--sync-ink); }
.state-changes { background: var(--change); color: var(--change-ink); }
.state-preview { background: var(--preview); color: var(--preview-ink); border-style: dashed !important; }
.state-waiting { background: repeating-linear-gradient(45deg, var(--wait), var(--wait) 8px, #f6f8fa 8px, #f6f8fa 16px); color: var(--wait-ink); border-style: dotted !important; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem; }
.tiles section { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; }
.tiles h3 { margin: 0 0 .25rem; }
.tiles ul { list-style: none; padding: 0; margin: 0; display: flex; gap: .5rem; }
.tile { flex: 1; text-align: center; background: var(--soft); border-radius: 4px; padding: .25rem; }
.tile .count { display: block; font-size: 1.5rem; font-weight: 700; }
.tile.nonzero.count-destroy, .tile.nonzero.count-delete { background: var(--bad); color: var(--bad-ink); }
.action { display: inline-block; min-width: 4.5rem; text-align: center; border-radius: 3px; padding: 0 .3rem; font-size: .8rem; font-weight: 600; }
.action-create { background: var(--sync); color: var(--sync-ink); }
.action-update, .action-import, .action-read, .action-forget { background: var(--change); color: var(--change-ink); }
.action-delete, .action-replace { background: var(--bad); color: var(--bad-ink); }
.risks li, .destructive li { margin: .25rem 0; }
.severity-error, .flag { color: var(--bad-ink); font-weight: 600; }
.severity-warning { color: var(--change-ink); font-weight: 600; }
.forces { color: var(--bad-ink); font-weight: 600; }
mark.placeholder { background: var(--preview); color: var(--preview-ink); border: 1px dashed var(--preview-ink); border-radius: 3px; padding: 0 .2rem; }
.unknown { color: var(--muted); font-style: italic; }
.note { background: var(--preview); color: var(--preview-ink); padding: .5rem .75rem; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--soft); }
tbody th[scope=rowgroup] { background: var(--soft); font-weight: 600; }
tr.group-layer th { background: #e7ecf0; font-size: 1rem; }
td details summary, details > summary { cursor: pointer; }
dl.values { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: 0 .75rem; margin: .25rem 0; }
dl.values dt { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; color: var(--muted); }
dl.values dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; overflow-wrap: anywhere; }
.patch .add { color: var(--sync-ink); background: var(--sync); display: block; }
.patch .del { color: var(--bad-ink); background: var(--bad); display: block; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0; }
form.filters fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .25rem .5rem; margin: 0; }
form.filters legend { font-size: .8rem; color: var(--muted); }
form.filters input[type=search] { font: inherit; padding: .2rem .4rem; min-width: 16rem; }
kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 .25rem; font-size: .8em; }
.muted { color: var(--muted); }
footer { margin: 2rem auto; color: var(--muted); font-size: .85rem; }
`;

/**
 * Filters the resource table by action and by text (`/` focuses the text box, Escape clears it),
 * and opens or folds every Kubernetes diff at once.
 */
export const PAGE_SCRIPT = `
(function () {
  var form = document.getElementById('filters');
  if (!form) return;
  form.hidden = false;
  var text = document.getElementById('filter-text');
  var table = document.getElementById('resources');
  var rows = Array.prototype.slice.call(table.querySelectorAll('tr[data-action]'));
  var groups = Array.prototype.slice.call(table.querySelectorAll('tbody'));
  var status = document.getElementById('filter-status');
  function apply() {
    var actions = {};
    Array.prototype.forEach.call(form.querySelectorAll('input[name=action]'), function (box) { actions[box.value] = box.checked; });
    var words = text.value.trim().toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var haystack = row.getAttribute('data-search');
      var visible = actions[row.getAttribute('data-action')] !== false && words.every(function (w) { return haystack.indexOf(w) >= 0; });
      row.hidden = !visible;
      if (visible) shown++;
    });
    groups.forEach(function (group) { group.hidden = !group.querySelector('tr[data-action]:not([hidden])'); });
    status.textContent = shown + ' of ' + rows.length + ' shown';
  }
  form.addEventListener('input', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  text.addEventListener('keydown', function (e) { if (e.key === 'Escape') { text.value = ''; apply(); } });
  document.addEventListener('keydown', function (e) {
    var el = document.activeElement;
    var typing = el && (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && /^(text|search)$/.test(el.type)));
    if (e.key === '/' && !typing) { e.preventDefault(); text.focus(); }
  });
  Array.prototype.forEach.call(document.querySelectorAll('button[data-fold]'), function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var open = button.getAttribute('data-fold') === 'open';
      Array.prototype.forEach.call(document.querySelectorAll('details.k8s'), function (d) { d.open = open; });
    });
  });
  apply();
})();
`;
