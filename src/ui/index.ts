// The dashboard served at /ui (its routes are in src/server/routes/ui.ts): the HTML shell (page.ts), and
// its assets, bundled from src/ui/app/ (bundle.ts) and embedded in the binary (assets.ts).

export { UI_ASSET_DIR, UI_SCRIPT_FILE, UI_STYLE_FILE, uiAssets } from './assets'
export { bundleUi } from './bundle'
export { UI_PATH, UI_SCRIPT_PATH, UI_STYLE_PATH } from './page'
