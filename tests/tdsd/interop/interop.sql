-- InteropDB: one row of every result type tdsd sends and one row of NULLs, plus tables
-- the clients write to (large values, transactions). Valid T-SQL, loaded by tdsd.
CREATE TABLE AllTypes (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    I32 INT NULL,
    I64 BIGINT NULL,
    F FLOAT NULL,
    B BIT NULL,
    S NVARCHAR(50) NULL,
    Doc NVARCHAR(MAX) NULL,
    Bin VARBINARY(16) NULL,
    Blob VARBINARY(MAX) NULL,
    D DATETIME2 NULL
);
GO
INSERT INTO AllTypes (I32, I64, F, B, S, Doc, Bin, Blob, D)
VALUES
    (-42, 9007199254740993, 2.5, 1, N'Müller 東京', N'doc', 0x00FF10, 0xCAFE, '2024-05-01 10:20:30.1234567'),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
GO
CREATE TABLE Notes (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    Body NVARCHAR(MAX) NULL,
    Data VARBINARY(MAX) NULL
);
GO
CREATE TABLE Ledger (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    Owner NVARCHAR(50) NOT NULL,
    Amount INT NOT NULL
);
GO
