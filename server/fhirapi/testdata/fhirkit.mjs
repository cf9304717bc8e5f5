// Drives yigong's FHIR API with fhir-kit-client (npm), a FHIR client nobody
// here wrote. Prints one JSON object with what the client saw; the Go test
// asserts on it. Usage: FHIRKIT=/path/to/fhir-kit-client/dist/index.js node fhirkit.mjs BASE
const { Client } = await import(process.env.FHIRKIT);
const client = new Client({ baseUrl: process.argv[2] });
const out = {};
const cs = await client.capabilityStatement();
out.fhirVersion = cs.fhirVersion;
const created = await client.create({
  resourceType: 'Patient',
  body: { resourceType: 'Patient', name: [{ family: '王', given: ['珅'] }], birthDate: '1990-03-07' },
});
out.createdVersion = created.meta.versionId;
const read = await client.read({ resourceType: 'Patient', id: created.id });
out.readName = read.name[0].family + read.name[0].given[0];
read.gender = 'male';
const updated = await client.update({ resourceType: 'Patient', id: created.id, body: read });
out.updatedVersion = updated.meta.versionId;
const v1 = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
out.v1Gender = v1.gender ?? null;
const hist = await client.history({ resourceType: 'Patient', id: created.id });
out.historyTotal = hist.entry.length;
out.historyType = hist.type;
await client.delete({ resourceType: 'Patient', id: created.id });
try {
  await client.read({ resourceType: 'Patient', id: created.id });
  out.readAfterDelete = 'found';
} catch (e) {
  out.readAfterDelete = e.response?.status ?? String(e);
  out.readAfterDeleteOutcome = e.response?.data?.resourceType ?? null;
}
try {
  await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: '1990-02-30' } });
  out.badDate = 'accepted';
} catch (e) {
  out.badDate = e.response?.status ?? String(e);
  out.badDateExpression = e.response?.data?.issue?.[0]?.expression?.[0] ?? null;
}
console.log(JSON.stringify(out));
