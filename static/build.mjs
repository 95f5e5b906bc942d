// Copies FilePond and its plugins (installed by `npm ci` from package-lock.json) into web/vendor/,
// so the page is served with no CDN and works offline. Plain Node: no bundler, no dependencies.
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const vendor = join(here, "web", "vendor");

// [package, file inside the package, name in web/vendor/]
const FILES = [
  ["filepond", "dist/filepond.min.js", "filepond.min.js"],
  ["filepond", "dist/filepond.min.css", "filepond.min.css"],
  ["filepond", "LICENSE", "filepond.LICENSE.txt"],
  [
    "filepond-plugin-file-validate-size",
    "dist/filepond-plugin-file-validate-size.min.js",
    "filepond-plugin-file-validate-size.min.js",
  ],
  [
    "filepond-plugin-file-validate-size",
    "LICENSE",
    "filepond-plugin-file-validate-size.LICENSE.txt",
  ],
  [
    "filepond-plugin-file-validate-type",
    "dist/filepond-plugin-file-validate-type.min.js",
    "filepond-plugin-file-validate-type.min.js",
  ],
  [
    "filepond-plugin-file-validate-type",
    "LICENSE",
    "filepond-plugin-file-validate-type.LICENSE.txt",
  ],
  [
    "filepond-plugin-image-preview",
    "dist/filepond-plugin-image-preview.min.js",
    "filepond-plugin-image-preview.min.js",
  ],
  [
    "filepond-plugin-image-preview",
    "dist/filepond-plugin-image-preview.min.css",
    "filepond-plugin-image-preview.min.css",
  ],
  ["filepond-plugin-image-preview", "LICENSE", "filepond-plugin-image-preview.LICENSE.txt"],
];

const missing = FILES.map(([pkg, file]) => join(modules, pkg, file)).filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.error(`Missing (run \`npm ci\` in static/ first):\n  ${missing.join("\n  ")}`);
  process.exit(1);
}

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [pkg, file, target] of FILES) {
  copyFileSync(join(modules, pkg, file), join(vendor, target));
}
console.log(`Copied ${FILES.length} files into ${vendor}`);
