package io.tidegate.stream;

import java.util.List;
import java.util.SortedMap;

/**
 * A page of a topic's history.
 *
 * @param records each record as its JSON bytes (the record format), oldest first
 * @param next    per partition, the offset where the next page starts
 */
public record HistoryPage(List<byte[]> records, SortedMap<Integer, Long> next) {}
