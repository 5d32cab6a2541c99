package io.tidegate.stream;

import java.util.Map;

/** Where a resume starts: a cursor's positions; partitions it does not name were not read yet, so start at their beginning. */
public record Resume(Map<Integer, Long> offsets) {}
