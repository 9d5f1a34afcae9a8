// Jest runs each test file in its own realm, with its own Float32Array and friends.
// onnxruntime-node's native code builds result tensors from this process's typed arrays,
// and onnxruntime-common then checks them with `instanceof` in the test's realm, which
// fails ("A float32 tensor's data must be type of Float32Array"). The test realm gets
// the process's typed-array constructors, so engine code that calls onnxruntime on the
// main thread (the SDXL pipeline in tests) behaves as it does in n8n.
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArraysEnvironment;
