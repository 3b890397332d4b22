/*
 * capture.h: a pcap file writer (the classic libpcap format, microsecond
 * timestamps, LINKTYPE_RAW = 101: each record is one IPv4 or IPv6 packet with
 * no link header). The link layer's pcap tap and the Lua synack.pcap use it.
 * Plain stdio; no libuv, no Lua.
 */
#ifndef SYNACK_CAPTURE_H
#define SYNACK_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define SYNACK_LINKTYPE_RAW 101
#define SYNACK_CAPTURE_SNAPLEN 65535

typedef struct synack_capture synack_capture;

/*
 * Create (truncate) `path` and write the pcap file header. Returns the
 * writer, or NULL with *err set: a negative errno value from the C library
 * (-ENOENT, -EACCES, ...) or SYNACK_ENOMEM.
 */
synack_capture *synack_capture_open(const char *path, int *err);

/*
 * Append one packet, stamped `t_us` microseconds (since the epoch, or since
 * the network started, as the caller counts). Packets over the snap length
 * are cut to it, with their original length recorded. Returns 0 or a
 * negative errno value.
 */
int synack_capture_write(synack_capture *c, const uint8_t *pkt, size_t len,
                         uint64_t t_us);

/* Flush buffered records to the file; 0 or a negative errno value. */
int synack_capture_flush(synack_capture *c);

/* Flush, close and free. NULL is allowed. */
void synack_capture_close(synack_capture *c);

#endif
