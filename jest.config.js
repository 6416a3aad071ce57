// Three projects: `unit` (no services; *.spec.ts beside the code), `integration` (repositories
// on real PostgreSQL, a database per file; libs/**/*.int-spec.ts) and `e2e` (real PostgreSQL,
// Kafka and FAISS started by scripts/test.sh; test/**/*.e2e-spec.ts).
const moduleNameMapper = {
  '^@debut/(common|config|catalog|features|models|index|audience|messaging|evaluation|serving)$':
    '<rootDir>/libs/$1/src',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', {}],
  // ESM-only dependencies that Node's require(esm) loads but Jest cannot: compiled to CommonJS.
  '^.+/node_modules/content-disposition/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs' }, diagnostics: false },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!(@fastify/static/node_modules/)?content-disposition/)'];
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/apps', '<rootDir>/libs'],
      testMatch: ['**/*.spec.ts'],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/libs'],
      testMatch: ['<rootDir>/libs/**/*.int-spec.ts'],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
    },
  ],
};
