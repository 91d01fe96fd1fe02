const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config');

module.exports = {
    ...jestConfig,
    // The wire mock payloads beside the tests are data, not test files.
    testPathIgnorePatterns: [...jestConfig.testPathIgnorePatterns, '<rootDir>/.*/__tests__/data/']
};
