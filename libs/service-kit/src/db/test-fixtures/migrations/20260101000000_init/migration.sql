-- CreateTable
CREATE TABLE "notes" (
    "id" SERIAL NOT NULL,
    "body" TEXT NOT NULL,
    CONSTRAINT "notes_pkey" PRIMARY KEY ("id")
);

-- Seed: the ';' inside the literal must survive (the stock pg adapter splits scripts on ';')
INSERT INTO "notes" ("body") VALUES ('first; note');
