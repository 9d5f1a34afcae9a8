import n8nCommunityNodes from '@n8n/eslint-plugin-community-nodes';
import tseslint from 'typescript-eslint';

// The n8n community-node rules, in the flavour for self-hosted n8n: this package runs ONNX
// models with native add-ons and worker threads, which n8n Cloud's verified-node sandbox
// does not allow, so the Cloud-only restrictions (globals, imports) do not apply.
const communityConfig = n8nCommunityNodes.configs.recommendedWithoutN8nCloudSupport;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scratch/**', 'coverage/**', 'eslint.config.mjs', 'test/jest.*.js', 'gulpfile.js'] },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    ...communityConfig,
    files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
    // typescript-eslint's parser reads package.json as a JSON source, which these rules expect.
    languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
    rules: {
      ...communityConfig.rules,
      // The one rule we cannot meet: the package must ship onnxruntime-node (inference),
      // sharp (image decode/encode), the IS-Net weights package, zod and axios at runtime.
      '@n8n/community-nodes/no-runtime-dependencies': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
