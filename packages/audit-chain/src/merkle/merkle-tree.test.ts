import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash, nodeHash, splitPoint, toHex } from './hashing.ts';
import { MerkleTree } from './merkle-tree.ts';
import { verifyConsistency, verifyInclusion } from './verify-proofs.ts';

// The test leaves and roots of certificate-transparency's merkle_tree_test (RFC 6962 reference).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** MTH straight from the RFC's recursive definition, to check the incremental tree against. */
function referenceRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = splitPoint(leaves.length);
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

function treeOf(n: number): { tree: MerkleTree; leaves: Buffer[] } {
  const tree = new MerkleTree();
  const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf-${i}`)));
  for (const leaf of leaves) tree.append(leaf);
  return { tree, leaves };
}

describe('MerkleTree (RFC 9162)', () => {
  it('matches the certificate-transparency reference roots', () => {
    const tree = new MerkleTree();
    expect(toHex(tree.root())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    CT_LEAVES.forEach((hex, i) => {
      tree.append(leafHash(Buffer.from(hex, 'hex')));
      expect(toHex(tree.root())).toBe(CT_ROOTS[i]);
    });
    // Earlier roots stay answerable after the tree has grown.
    CT_ROOTS.forEach((root, i) => {
      expect(toHex(tree.root(i + 1))).toBe(root);
    });
  });

  it('agrees with the recursive definition and proves every leaf at every size', () => {
    const { tree, leaves } = treeOf(37);
    for (let size = 1; size <= 37; size += 1) {
      const root = tree.root(size);
      expect(root.equals(referenceRoot(leaves.slice(0, size)))).toBe(true);
      for (let index = 0; index < size; index += 1) {
        const path = tree.inclusionProof(index, size);
        expect(verifyInclusion(leaves[index] as Buffer, index, size, path, root)).toBe(true);
      }
    }
  });

  it('refuses inclusion proofs for a wrong leaf, index, size, root or path', () => {
    const { tree, leaves } = treeOf(21);
    const path = tree.inclusionProof(5, 21);
    const root = tree.root(21);
    const leaf = leaves[5] as Buffer;
    expect(verifyInclusion(leaves[6] as Buffer, 5, 21, path, root)).toBe(false);
    expect(verifyInclusion(leaf, 4, 21, path, root)).toBe(false);
    // (A size whose tree shape differs: the size itself is bound by the signed checkpoint, not the path.)
    expect(verifyInclusion(leaf, 5, 8, path, root)).toBe(false);
    expect(verifyInclusion(leaf, 5, 21, path, tree.root(20))).toBe(false);
    expect(verifyInclusion(leaf, 5, 21, path.slice(1), root)).toBe(false);
    expect(verifyInclusion(leaf, 5, 21, [...path, leaf], root)).toBe(false);
    expect(verifyInclusion(leaf, 21, 21, path, root)).toBe(false);
    const flipped = path.map((p) => Buffer.from(p));
    const victim = flipped[2] as Buffer;
    victim.writeUInt8(victim.readUInt8(0) ^ 1, 0);
    expect(verifyInclusion(leaf, 5, 21, flipped, root)).toBe(false);
  });

  it('proves consistency between every pair of sizes, and refuses forged histories', () => {
    const { tree } = treeOf(33);
    for (let first = 1; first <= 33; first += 1) {
      for (let second = first; second <= 33; second += 1) {
        const proof = tree.consistencyProof(first, second);
        expect(verifyConsistency(first, second, tree.root(first), tree.root(second), proof)).toBe(true);
      }
    }
    // A rewritten history: same sizes, a different leaf 3.
    const forged = new MerkleTree();
    for (let i = 0; i < 33; i += 1) forged.append(leafHash(Buffer.from(i === 3 ? 'evil' : `leaf-${i}`)));
    const proof = forged.consistencyProof(10, 33);
    expect(verifyConsistency(10, 33, tree.root(10), forged.root(33), proof)).toBe(false);
    expect(verifyConsistency(10, 33, tree.root(10), tree.root(33), tree.consistencyProof(11, 33))).toBe(
      false,
    );
    expect(verifyConsistency(8, 33, tree.root(8), tree.root(33), tree.consistencyProof(8, 33).slice(1))).toBe(
      false,
    );
    expect(verifyConsistency(12, 12, tree.root(12), tree.root(12), [])).toBe(true);
    expect(verifyConsistency(13, 12, tree.root(12), tree.root(12), [])).toBe(false);
  });

  it('truncates back to an earlier size and grows again identically', () => {
    const { tree, leaves } = treeOf(29);
    const root17 = tree.root(17);
    tree.truncate(17);
    expect(tree.size).toBe(17);
    expect(tree.root().equals(root17)).toBe(true);
    for (const leaf of leaves.slice(17)) tree.append(leaf);
    expect(tree.root().equals(referenceRoot(leaves))).toBe(true);
  });
});
