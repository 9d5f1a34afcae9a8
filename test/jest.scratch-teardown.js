// See jest.scratch.js.
module.exports = require('./jest.scratch').teardown;
