// Copies what tsc does not: node and credential icons (SVG) and codex files (.node.json)
// next to the compiled nodes in dist/.
const { src, dest } = require('gulp');

function buildIcons() {
  return src(['nodes/**/*.{svg,png}', 'credentials/**/*.{svg,png}'], { base: '.', encoding: false }).pipe(dest('dist'));
}

function copyCodex() {
  return src(['nodes/**/*.node.json'], { base: '.' }).pipe(dest('dist'));
}

exports['build:icons'] = require('gulp').parallel(buildIcons, copyCodex);
