import { defineConfig } from 'vitest/config';

// globals: the view-model tests are shared word for word with the Salesforce (Jest) suite.
export default defineConfig({
  test: {
    environment: 'node',
    globals: true,
    include: ['__tests__/**/*.test.{js,jsx}'],
  },
});
