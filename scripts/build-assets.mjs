// Builds the GOV.UK Frontend files the templates use into casework/static/govuk/.
//
//   casework/static/govuk/govuk-frontend.min.css   -> url_for('static', filename='govuk/govuk-frontend.min.css'),
//                                                     compiled from scripts/govuk-frontend.scss with Sass:
//                                                     Frontend's font stack for services not on GOV.UK
//                                                     (Arial, not GDS Transport, which is licensed only for
//                                                     GOV.UK), so the font files are not copied either
//   casework/static/govuk/govuk-frontend.min.js    -> imported by casework/static/js/app.mjs (an ES module)
//   casework/static/govuk/assets/{images,manifest.json}
//                                                  -> served at /assets/ by the govuk_assets blueprint
//                                                     (casework/core/templating.py), because the precompiled
//                                                     CSS refers to url(/assets/fonts/...) and
//                                                     url(/assets/images/...), and the page template's
//                                                     favicon and manifest links use /assets too.
//
// The output folder is deleted and rebuilt on every run so nothing stale survives an upgrade.
// Run with `npm run build` after `npm ci`.
import { cp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const target = path.join(root, "casework", "static", "govuk");

const files = ["govuk-frontend.min.js", "govuk-frontend.min.js.map"];

async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

if (!(await exists(source))) {
  console.error(`GOV.UK Frontend not found at ${path.relative(root, source)}: run \`npm ci\` first.`);
  process.exit(1);
}

const { version } = JSON.parse(
  await readFile(path.join(root, "node_modules", "govuk-frontend", "package.json"), "utf8"),
);

await rm(target, { recursive: true, force: true });
await mkdir(target, { recursive: true });

for (const file of files) {
  await cp(path.join(source, file), path.join(target, file));
}
await mkdir(path.join(target, "assets"), { recursive: true });
await cp(path.join(source, "assets", "images"), path.join(target, "assets", "images"), { recursive: true });
await cp(path.join(source, "assets", "manifest.json"), path.join(target, "assets", "manifest.json"));

const compiled = sass.compile(path.join(root, "scripts", "govuk-frontend.scss"), {
  style: "compressed",
  importers: [new sass.NodePackageImporter(root)],
  quietDeps: true,
});
const css = compiled.css;
if (/GDS Transport/.test(css)) {
  console.error("govuk-frontend.min.css still names GDS Transport, which is licensed only for GOV.UK services.");
  process.exit(1);
}
await writeFile(path.join(target, "govuk-frontend.min.css"), css);

// The CSS must keep pointing at /assets/...: if a future release changes that, the images would
// silently 404, so fail the build instead.
const urls = [...new Set([...css.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1].replace(/["']/g, "")))];
const missing = [];
for (const url of urls) {
  if (url.startsWith("data:")) continue;
  if (!url.startsWith("/assets/") || !(await exists(path.join(target, url)))) missing.push(url);
}
if (missing.length) {
  console.error(`govuk-frontend.min.css refers to files the build does not provide: ${missing.join(", ")}`);
  process.exit(1);
}

console.log(`Built GOV.UK Frontend ${version} to ${path.relative(root, target)}/ (${urls.length} CSS asset URLs checked)`);
