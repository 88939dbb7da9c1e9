package dev.pyro.internal.archive;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The paths of one transfer as a tree of components: each node holds its own name and a link
 * to its parent, so memory grows with the total length of the distinct names (at most one node
 * per entry or implied directory), not with the sum of every prefix's length. A 4,000-byte path
 * of one-byte components costs 2,000 small nodes here, where a set of prefix strings would hold
 * 4 MB. Lookups hash (parent, name), so work per entry is linear in its path's length; nodes are
 * {@link Comparable}, so even names chosen to collide in the hash cost a logarithmic lookup
 * ({@link HashMap} keeps colliding comparable keys in a sorted tree), not a linear one. Not
 * thread-safe.
 *
 * @param <T> what each node carries
 */
final class PathTree<T> {
    /** One path: its parent, its last component, and a value. Equal and ordered by (parent, name). */
    static final class Node implements Comparable<Node> {
        final Node parent;
        final int id;
        final byte[] name;
        final int depth;
        private final int hash;
        private Object value;

        private Node(Node parent, int id, byte[] name, int hash) {
            this.parent = parent;
            this.id = id;
            this.name = name;
            this.depth = parent == null ? 0 : parent.depth + 1;
            this.hash = hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Node n && n.hash == hash && parentId(n) == parentId(this)
                    && Arrays.equals(n.name, name);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public int compareTo(Node o) {
            int c = Integer.compare(parentId(this), parentId(o));
            return c != 0 ? c : Arrays.compareUnsigned(name, o.name);
        }

        private static int parentId(Node n) {
            return n.parent == null ? -1 : n.parent.id;
        }

        /** The node's path, components joined by '/' (empty for the root). */
        byte[] path() {
            int length = -1;
            for (Node n = this; n.parent != null; n = n.parent) {
                length += n.name.length + 1;
            }
            if (length < 0) {
                return new byte[0];
            }
            byte[] out = new byte[length];
            int end = length;
            for (Node n = this; n.parent != null; n = n.parent) {
                int start = end - n.name.length;
                System.arraycopy(n.name, 0, out, start, n.name.length);
                if (start > 0) {
                    out[start - 1] = '/';
                }
                end = start - 1;
            }
            return out;
        }
    }

    private final Map<Node, Node> nodes = new HashMap<>();
    private final Node root;
    private int nextId = 1;

    PathTree(T rootValue) {
        root = new Node(null, 0, new byte[0], 0);
        root.value = rootValue;
    }

    Node root() {
        return root;
    }

    @SuppressWarnings("unchecked")
    T value(Node n) {
        return (T) n.value;
    }

    void setValue(Node n, T value) {
        n.value = value;
    }

    /** Nodes below the root. */
    int size() {
        return nodes.size();
    }

    /** The child of {@code parent} named {@code path[from, to)}, or null. */
    Node child(Node parent, byte[] path, int from, int to) {
        return nodes.get(probe(parent, path, from, to));
    }

    /** Adds the child of {@code parent} named {@code path[from, to)}; the caller knows it is absent. */
    Node add(Node parent, byte[] path, int from, int to, T value) {
        Node n = probe(parent, path, from, to);
        Node node = new Node(parent, nextId++, n.name, n.hash);
        node.value = value;
        nodes.put(node, node);
        return node;
    }

    /** The node of a whole path ('/'-separated, no empty components), or null if any part is absent. */
    Node find(byte[] path) {
        Node n = root;
        int start = 0;
        for (int i = 0; i <= path.length && n != null; i++) {
            if (i == path.length || path[i] == '/') {
                n = child(n, path, start, i);
                start = i + 1;
            }
        }
        return n;
    }

    /** Every node below the root, in no particular order. */
    List<Node> all() {
        return new ArrayList<>(nodes.keySet());
    }

    private static Node probe(Node parent, byte[] path, int from, int to) {
        byte[] name = Arrays.copyOfRange(path, from, to);
        int h = 31 * parent.id + Arrays.hashCode(name);
        return new Node(parent, -1, name, h);
    }
}
