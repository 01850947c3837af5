import { describeStoreContract } from "../src/testing/contract.js";
import { createMemoryStore } from "../src/testing/index.js";

describeStoreContract("memory", () => Promise.resolve({ store: createMemoryStore() }));
