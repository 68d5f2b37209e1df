// A stylefuse request from Node.js over gRPC (no Python): `node grpc_stylize.js HOST:PORT MODEL H W`.
// Sends an H x W RGB uint8 test pattern as SOURCE_UINT8 [1, H, W, 3] and prints one JSON line:
// {"ready": true, "name": "OUTPUT_UINT8", "datatype": "UINT8", "shape": [1, H, W, 3], "data": "<base64>"}
// or {"error": "<gRPC status details>", "code": N}. Needs @grpc/grpc-js and @grpc/proto-loader
// (NODE_PATH pointing at their node_modules).
"use strict";
const path = require("path");
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");

const [address, model, h, w] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const definition = loader.loadSync(path.join(__dirname, "triton_infer.proto"), { keepCase: true, longs: Number });
const Service = grpc.loadPackageDefinition(definition).inference.GRPCInferenceService;
const client = new Service(address, grpc.credentials.createInsecure());

const pixels = Buffer.alloc(h * w * 3);
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + Math.floor(i / 3)) % 256;  // the test's pattern

const deadline = () => new Date(Date.now() + 120000);
client.ServerReady({}, { deadline: deadline() }, (err, ready) => {
  if (err) { console.log(JSON.stringify({ error: err.details, code: err.code })); process.exit(1); }
  const request = {
    model_name: model,
    inputs: [{ name: "SOURCE_UINT8", datatype: "UINT8", shape: [1, h, w, 3] }],
    outputs: [{ name: "OUTPUT_UINT8" }],
    raw_input_contents: [pixels],
  };
  client.ModelInfer(request, { deadline: deadline() }, (error, response) => {
    if (error) { console.log(JSON.stringify({ error: error.details, code: error.code })); process.exit(2); }
    const out = response.outputs[0];
    console.log(JSON.stringify({ ready: ready.ready, name: out.name, datatype: out.datatype, shape: out.shape,
                                 data: response.raw_output_contents[0].toString("base64") }));
    client.close();
  });
});
