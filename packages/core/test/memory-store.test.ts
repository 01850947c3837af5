import { createMemoryStore, describeStoreContract } from "../src/testing/index.js";

describeStoreContract("memory", () => Promise.resolve({ store: createMemoryStore() }));
