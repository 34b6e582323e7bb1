namespace BitSieve.Tests;
