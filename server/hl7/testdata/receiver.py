"""A downstream HL7 v2 receiver for the notification tests, built on
python3-hl7's asyncio MLLP server (hl7.mllp.start_hl7_server): code nobody
in yigong wrote.

Usage: /usr/bin/python3 receiver.py PORT OUTFILE [ACK_CODE]

Listens on 127.0.0.1:PORT, appends each message received (segments joined
by CR, one message per line) to OUTFILE, then answers with the ACK
python-hl7 builds (create_ack) with ACK_CODE (default AA). Prints "ready"
once listening.
"""

import asyncio
import sys

import hl7.mllp


async def main():
    port = int(sys.argv[1])
    out = sys.argv[2]
    code = sys.argv[3] if len(sys.argv) > 3 else "AA"

    async def handle(reader, writer):
        try:
            while not writer.is_closing():
                try:
                    message = await reader.readmessage()
                except asyncio.IncompleteReadError:
                    return
                with open(out, "a", encoding="utf-8") as f:
                    f.write(str(message) + "\n")
                writer.writemessage(message.create_ack(ack_code=code))
                await writer.drain()
        finally:
            writer.close()

    server = await hl7.mllp.start_hl7_server(handle, "127.0.0.1", port, encoding="utf-8")
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
