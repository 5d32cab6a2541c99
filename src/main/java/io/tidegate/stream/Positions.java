package io.tidegate.stream;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A subscription's next offset per partition, as an array indexed by partition: the live feed reads and moves
 * a position for every record and socket, where a map of boxed numbers costs a lookup, an allocation (the new
 * offset) and three objects to reach. Also a {@code Map<Integer, Long>} (in partition order) for the code that
 * is not on that path. The array grows to the highest partition held (a topic's partition count bounds it).
 * Used on its socket's event loop only; null values are not allowed.
 */
public final class Positions extends AbstractMap<Integer, Long> {
  /** What {@link #at} returns for a partition without a position. */
  public static final long NONE = Long.MIN_VALUE;
  private static final long[] EMPTY = new long[0];

  private long[] next = EMPTY;
  private int size;

  /** The next offset of {@code partition}, or {@link #NONE}. */
  public long at(int partition) {
    long[] a = next;
    return partition >= 0 && partition < a.length ? a[partition] : NONE;
  }

  /** Sets the next offset of {@code partition} (a partition number is not negative; the offset is not {@link #NONE}). */
  public void set(int partition, long offset) {
    if (offset == NONE) {
      throw new IllegalArgumentException("offset " + offset + " of partition " + partition);
    }
    long[] a = next;
    if (partition >= a.length || partition < 0) {
      a = grow(partition);
    }
    if (a[partition] == NONE) {
      size++;
    }
    a[partition] = offset;
  }

  /** The highest partition with a position, or -1. */
  public int last() {
    long[] a = next;
    int p = a.length - 1;
    while (p >= 0 && a[p] == NONE) {
      p--;
    }
    return p;
  }

  private long[] grow(int partition) {
    if (partition < 0) {
      throw new IllegalArgumentException("partition " + partition);
    }
    int old = next.length;
    long[] a = Arrays.copyOf(next, Math.max(partition + 1, Math.min(old * 2, old + 64)));
    Arrays.fill(a, old, a.length, NONE);
    next = a;
    return a;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean containsKey(Object key) {
    return key instanceof Integer p && at(p) != NONE;
  }

  @Override
  public Long get(Object key) {
    long o = key instanceof Integer p ? at(p) : NONE;
    return o == NONE ? null : o;
  }

  @Override
  public Long put(Integer partition, Long offset) {
    Long before = get(partition);
    set(partition, offset); // unboxing rejects a null offset
    return before;
  }

  @Override
  public Long remove(Object key) {
    Long before = get(key);
    if (before != null) {
      next[(Integer) key] = NONE;
      size--;
    }
    return before;
  }

  @Override
  public void clear() {
    Arrays.fill(next, NONE);
    size = 0;
  }

  @Override
  public Set<Map.Entry<Integer, Long>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public Iterator<Map.Entry<Integer, Long>> iterator() {
        return new Iterator<>() {
          private int at = advance(0);
          private int last = -1;

          private int advance(int from) {
            int p = from;
            while (p < next.length && next[p] == NONE) {
              p++;
            }
            return p;
          }

          @Override
          public boolean hasNext() {
            return at < next.length;
          }

          @Override
          public Map.Entry<Integer, Long> next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            last = at;
            at = advance(at + 1);
            return new Entry(last);
          }

          @Override
          public void remove() {
            if (last < 0) {
              throw new IllegalStateException();
            }
            Positions.this.remove(last);
            last = -1;
          }
        };
      }
    };
  }

  /** A partition's position, writable through {@link #setValue}. */
  private final class Entry extends AbstractMap.SimpleEntry<Integer, Long> {
    Entry(int partition) {
      super(partition, next[partition]);
    }

    @Override
    public Long setValue(Long offset) {
      set(getKey(), offset);
      return super.setValue(offset);
    }
  }
}
