import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', '.cache/**', '.data/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // Test doubles (in-memory repositories, fake brokers, handlers handed to the consumer)
    // implement async interfaces without awaiting anything. They stay `async` so that a throw
    // inside one becomes a rejected promise, exactly as with the real implementation.
    files: [
      '**/*.spec.ts',
      '**/*.e2e-spec.ts',
      '**/*.int-spec.ts',
      'libs/*/src/testing/**/*.ts',
      'test/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript config files are not in tsconfig.json: lint them without type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
